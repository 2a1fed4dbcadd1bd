# Sanitizer trees. MXCALL_SANITIZE: ASan+UBSan for the whole tree; UBSan findings abort, so a test cannot pass over
# one. MXCALL_TSAN: ThreadSanitizer (the homeserver client, send queue and syncer; tests/CMakeLists.txt says why the
# media engine is not). The two cannot share a tree. Suppressions for uninstrumented libraries: tests/sanitizers/.
if(MXCALL_SANITIZE AND MXCALL_TSAN)
  message(FATAL_ERROR "MXCALL_SANITIZE (ASan) and MXCALL_TSAN cannot be combined; use one tree for each")
endif()
if(MXCALL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(MXCALL_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# In the TSan tree, a test program that runs GStreamer pipelines takes GLib's locks onto pthread primitives
# (tests/sanitizers/glib_locks_for_tsan.cpp says why and how), so TSan sees the order of each hand-off into a
# GStreamer thread. Elsewhere this does nothing. -rdynamic puts the replacements into the program's dynamic symbol
# table, so the plugins GStreamer loads at run time (webrtcbin, nice, dtls, ...) bind to them too.
if(MXCALL_TSAN)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(MXCALL_TSAN_GLIB REQUIRED IMPORTED_TARGET glib-2.0)
endif()
function(mxcall_tsan_sees_glib_locks target)
  if(MXCALL_TSAN)
    target_link_libraries(${target} PRIVATE PkgConfig::MXCALL_TSAN_GLIB)
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/sanitizers/glib_locks_for_tsan.cpp)
    target_link_options(${target} PRIVATE -rdynamic)
  endif()
endfunction()
