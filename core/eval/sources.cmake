yolodeck_core_folder(eval
    eval/detection.h
    eval/nms.h eval/nms.cpp
    eval/detectionmetrics.h eval/detectionmetrics.cpp
    eval/predictionfiles.h eval/predictionfiles.cpp
    eval/metricstable.h eval/metricstable.cpp
)
target_link_libraries(yolodeck_core_eval PUBLIC yolodeck_core_common)
