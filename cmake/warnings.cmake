# Warnings for the project's own targets: mxcall_warnings(<target>).
function(mxcall_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 reports a false -Wrestrict inside libstdc++'s std::string assignment under C++20
    # (see ../shared/notes/json-perf.md, "g++ 12 itself").
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(MXCALL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
