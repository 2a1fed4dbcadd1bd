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
