# ASan+UBSan for the whole tree when MXCALL_SANITIZE is on. UBSan findings abort, so a test cannot pass over one.
if(MXCALL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
