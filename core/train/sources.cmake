yolodeck_core_folder(train
    train/trainconfig.h train/trainconfig.cpp
    train/trainingobserver.h
    train/trainer.h train/trainer.cpp
    train/resumeplanner.h train/resumeplanner.cpp
    train/optimizer.h train/optimizer.cpp
    train/gradscaler.h train/gradscaler.cpp
    train/lrschedule.h train/lrschedule.cpp
    train/modelema.h train/modelema.cpp
    train/modelstate.h train/modelstate.cpp
    train/validator.h train/validator.cpp
    train/rehearsal.h train/rehearsal.cpp
    train/autocastscope.h
)
target_link_libraries(yolodeck_core_train PUBLIC
    yolodeck_core_data yolodeck_core_model yolodeck_core_eval yolodeck_core_checkpoint
    yolodeck_core_runlog yolodeck_core_dist yolodeck_core_monitor yolodeck_core_common)
