# core/doctor: the environment report of `yolodeck-cli doctor` and Help -> System Report:
# versions, compute (CUDA, NVML, the BLAS library actually loaded, threads, a GEMM measurement),
# disk and data, with a fix for each finding that slows training.
yolodeck_core_folder(doctor
    doctor/environmentreport.h doctor/environmentreport.cpp
)
target_link_libraries(yolodeck_core_doctor PUBLIC yolodeck_core_data yolodeck_core_model yolodeck_core_monitor
                                            yolodeck_core_common ${CMAKE_DL_LIBS})
