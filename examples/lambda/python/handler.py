# An example handler: word statistics of a text, as a Lambda function would compute them.
# Loading the module is the init (done once per warm instance).
import collections
import re

WORD = re.compile(r"[a-z']+")


def handler(event, context):
    text = (event or {}).get("text", "")
    if not isinstance(text, str):
        raise TypeError("'text' must be a string")
    words = WORD.findall(text.lower())
    print(f"counted {len(words)} words for {context.aws_request_id}", flush=True)
    return {
        "words": len(words),
        "top": collections.Counter(words).most_common(3),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
