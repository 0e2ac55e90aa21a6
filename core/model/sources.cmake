# core/model: the YOLOv8 detector, its box helpers, the task-aligned assigner and the loss.
yolodeck_core_folder(model
    model/modelscale.h model/modelscale.cpp
    model/boxops.h model/boxops.cpp
    model/yololayers.h model/yololayers.cpp
    model/yolomodel.h model/yolomodel.cpp
    model/onednnsupport.h model/onednnsupport.cpp
    model/onednnforward.h model/onednnforward.cpp
    model/onednntraining.h model/onednntraining.cpp
    model/taskalignedassigner.h model/taskalignedassigner.cpp
    model/detectionloss.h model/detectionloss.cpp
)
target_link_libraries(yolodeck_core_model PUBLIC yolodeck_core_common)
# oneDNN for the CPU inference engine (OneDnnForward), when YOLODECK_ONEDNN found it.
if(YOLODECK_HAVE_ONEDNN)
    target_link_libraries(yolodeck_core_model PRIVATE DNNL::dnnl)
    target_compile_definitions(yolodeck_core_model PRIVATE YOLODECK_HAVE_ONEDNN)
endif()
