# core/model: the YOLOv8 detector, its box helpers, the task-aligned assigner and the loss.
yolodeck_core_folder(model
    model/modelscale.h model/modelscale.cpp
    model/boxops.h model/boxops.cpp
    model/yololayers.h model/yololayers.cpp
    model/yolomodel.h model/yolomodel.cpp
    model/taskalignedassigner.h model/taskalignedassigner.cpp
    model/detectionloss.h model/detectionloss.cpp
)
target_link_libraries(yolodeck_core_model PUBLIC yolodeck_core_common)
