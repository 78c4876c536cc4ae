"""What Python clients in the integration tests share: gRPC code for Tailor's public protos,
generated at test time with protoc (as a platform integrating Tailor would) into a temporary
directory put on sys.path, and function bundles built in memory."""
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile


def generate(proto_dir, names):
    """Generates tailor/v1/<name>.proto for each name; returns the directory (remove it with
    cleanup())."""
    gen_dir = tempfile.mkdtemp(prefix="tailor-pygen-")
    subprocess.run(
        ["protoc", "-I", proto_dir, "--python_out", gen_dir, "--grpc_python_out", gen_dir,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + [os.path.join(proto_dir, "tailor/v1/%s.proto" % n) for n in names],
        check=True)
    sys.path.insert(0, gen_dir)
    return gen_dir


def cleanup(gen_dir):
    shutil.rmtree(gen_dir, ignore_errors=True)


def bundle(name, version, extra_toml=""):
    """A .tar.gz bundle whose entrypoint is a shell script echoing its input."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, text, mode in [
                ("tailor.toml", "name = '%s'\nversion = '%s'\nentrypoint = 'run.sh'\n%s"
                 % (name, version, extra_toml), 0o644),
                ("run.sh", "#!/bin/sh\ncat\n", 0o755)]:
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
