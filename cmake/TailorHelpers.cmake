# Helpers shared by every folder's CMakeLists.txt: one library per folder, the same warnings
# everywhere, and includes rooted at the repository ("common/status.h").

set(TAILOR_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(TAILOR_WERROR)
  list(APPEND TAILOR_WARNINGS -Werror)
endif()

# tailor_add_library(NAME SOURCES a.cc b.cc DEPS dep1 dep2)
function(tailor_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${TAILOR_WARNINGS})
endfunction()

# tailor_add_binary(NAME SOURCES main.cc DEPS lib1 lib2)
function(tailor_add_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${TAILOR_WARNINGS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()
