# Compile settings shared by every target that sees torch (core folders, core tests, benchmarks).
# They must be identical for all of them, or GCC silently refuses the shared precompiled header.
function(yolodeck_core_settings target)
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}
                                                ${PROJECT_BINARY_DIR}/core/generated)
    # Qt's keyword macros break LibTorch headers (pytorch#19405): core uses Q_SIGNALS/Q_EMIT.
    target_compile_definitions(${target} PRIVATE QT_NO_KEYWORDS)
    target_compile_options(${target} PRIVATE ${TORCH_CXX_FLAGS} -Wall -Wextra -Wno-unused-parameter)
    target_link_libraries(${target} PUBLIC Qt6::Core ${TORCH_LIBRARIES} ${OpenCV_LIBS}
                                           yaml-cpp Threads::Threads)
endfunction()

# AUTOMOC's mocs_compilation.cpp of a target whose Q_OBJECT classes live in its .cpp files (they
# include their own .moc) is empty: the torch PCH would only cost time there (~2 s a file).
function(yolodeck_skip_torch_pch_for_moc target)
    set_source_files_properties(${CMAKE_CURRENT_BINARY_DIR}/${target}_autogen/mocs_compilation.cpp
                                TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
endfunction()

# A Qt Test executable for core code: links the given core folders, reuses the torch PCH and is
# registered with CTest under its own name.
function(yolodeck_core_test name)
    yolodeck_torch_free_test(${name} ${ARGN})
    target_precompile_headers(${name} REUSE_FROM yolodeck_torch_pch)
endfunction()

# The same for a test that includes no torch header (directly or through the core headers it
# uses): without the torch PCH forced in it compiles 3-4 times faster.
function(yolodeck_torch_free_test name)
    add_executable(${name} ${name}.cpp)
    yolodeck_core_settings(${name})
    target_link_libraries(${name} PRIVATE Qt6::Test ${ARGN})
    yolodeck_skip_torch_pch_for_moc(${name})
    target_compile_definitions(${name} PRIVATE
        YOLODECK_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared"
        YOLODECK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME ${name} COMMAND ${name})
    # Passive OpenMP waits: ctest runs tests side by side on few cores, and LibTorch's spinning
    # worker threads would otherwise steal whole time slices from each other. OpenBLAS on one
    # thread, as the programs' thread policy sets it: its thread count moves validation figures
    # in the eighth digit, and tests compare their in-process numbers with yolodeck-cli's.
    set_tests_properties(${name} PROPERTIES ENVIRONMENT
        "QT_QPA_PLATFORM=offscreen;OMP_WAIT_POLICY=PASSIVE;OPENBLAS_NUM_THREADS=1")
endfunction()
