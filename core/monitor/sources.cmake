# core/monitor: GPU (NVML, loaded at run time) and system load sampling, and the plain-language
# diagnosis of a slow run. No widgets and no torch: the window's system panel builds on it.
#
# Paths are relative to this file, so the folder can be declared from core/CMakeLists.txt or, until
# that includes it, from a consumer (ui, the monitor tests).
yolodeck_core_folder(monitor
    ${CMAKE_CURRENT_LIST_DIR}/gpusample.h
    ${CMAKE_CURRENT_LIST_DIR}/systemsample.h
    ${CMAKE_CURRENT_LIST_DIR}/nvmllibrary.h ${CMAKE_CURRENT_LIST_DIR}/nvmllibrary.cpp
    ${CMAKE_CURRENT_LIST_DIR}/systemsampler.h ${CMAKE_CURRENT_LIST_DIR}/systemsampler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/hostsampler.h ${CMAKE_CURRENT_LIST_DIR}/hostsampler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/diagnosis.h ${CMAKE_CURRENT_LIST_DIR}/diagnosis.cpp
    ${CMAKE_CURRENT_LIST_DIR}/runfigures.h ${CMAKE_CURRENT_LIST_DIR}/runfigures.cpp
)
# dlopen() for NVML: the driver library is never linked, so the program runs without a GPU.
target_link_libraries(yolodeck_core_monitor PUBLIC yolodeck_core_common ${CMAKE_DL_LIBS})
