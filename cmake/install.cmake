# `cmake --install` gives a package that `find_package(mxcall)` finds: the libraries an application of
# runtime/include/mxcall/phone.hpp links (static), the public headers of every layer that header includes, and
# mxcallConfig.cmake, which finds the system libraries those static libraries need. Applications link mxcall::runtime.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(mxcall_installed_targets mxcall_protocol mxcall_matrix mxcall_media_api mxcall_media_gst mxcall_runtime)
if(TARGET mxcall_crypto)  # end-to-end encryption: our C++ hook and the Rust crate's static library under it
  list(APPEND mxcall_installed_targets mxcall_crypto)
  install(FILES ${MXCALL_CRYPTO_RUST_LIBRARY} DESTINATION ${CMAKE_INSTALL_LIBDIR} RENAME libmxcall_crypto_rust.a)
endif()
foreach(target ${mxcall_installed_targets})
  string(REPLACE "mxcall_" "" export_name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

install(TARGETS ${mxcall_installed_targets} EXPORT mxcallTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir protocol/include matrix/include media/include media/gst/include runtime/include)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
endforeach()

set(mxcall_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/mxcall)
install(EXPORT mxcallTargets NAMESPACE mxcall:: DESTINATION ${mxcall_cmake_dir})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/mxcallConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/mxcallConfig.cmake INSTALL_DESTINATION ${mxcall_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/mxcallConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/mxcallConfig.cmake ${CMAKE_BINARY_DIR}/mxcallConfigVersion.cmake
        DESTINATION ${mxcall_cmake_dir})
