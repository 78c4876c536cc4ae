# Helpers shared by every folder's CMakeLists.txt: one library per folder, the same warnings
# everywhere, and includes rooted at the repository ("common/status.h").

set(TAILOR_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(TAILOR_WERROR)
  list(APPEND TAILOR_WARNINGS -Werror)
endif()

# Flags added after the build type's own for the tests' code (tests/). It compiles at -O0 in
# every build: it starts processes, waits on sockets and calls into the libraries, which keep
# the build type's optimization, and a test batch compiles in half the time at -O0. (The
# generated protobuf code keeps the build type's flags: the binaries the integration tests time
# against each other are built from it.)
set(TAILOR_TESTS_COMPILE_FLAGS "-O0" CACHE STRING "Compile flags added for the tests (tests/)")

# Sanitizers (TAILOR_SANITIZE=address,undefined or thread) and libFuzzer coverage
# (TAILOR_BUILD_FUZZERS) for Tailor's own code; the Debian libraries stay as they are. Applied
# per target by the helpers below, so that the static run spawner (no sanitizer runtime links
# statically) and the sample functions stay plain.
set(TAILOR_SANITIZER_COMPILE_FLAGS "")
set(TAILOR_SANITIZER_LINK_FLAGS "")
if(TAILOR_SANITIZE)
  list(APPEND TAILOR_SANITIZER_COMPILE_FLAGS -fsanitize=${TAILOR_SANITIZE} -fno-omit-frame-pointer
       -fno-sanitize-recover=all)
  list(APPEND TAILOR_SANITIZER_LINK_FLAGS -fsanitize=${TAILOR_SANITIZE})
endif()
if(TAILOR_BUILD_FUZZERS)
  list(APPEND TAILOR_SANITIZER_COMPILE_FLAGS -fsanitize=fuzzer-no-link)
endif()

function(tailor_sanitize target)
  target_compile_options(${target} PRIVATE ${TAILOR_SANITIZER_COMPILE_FLAGS})
  target_link_options(${target} PRIVATE ${TAILOR_SANITIZER_LINK_FLAGS})
endfunction()

# tailor_add_library(NAME SOURCES a.cc b.cc DEPS dep1 dep2)
function(tailor_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${TAILOR_WARNINGS})
  tailor_sanitize(${name})
endfunction()

# tailor_add_binary(NAME [NO_SANITIZE] SOURCES main.cc DEPS lib1 lib2)
function(tailor_add_binary name)
  cmake_parse_arguments(ARG "NO_SANITIZE" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${TAILOR_WARNINGS})
  if(NOT ARG_NO_SANITIZE)
    tailor_sanitize(${name})
  endif()
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()
