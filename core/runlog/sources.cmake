yolodeck_core_folder(runlog
    runlog/epochrecord.h runlog/epochrecord.cpp
    runlog/runlog.h runlog/runlog.cpp
)
target_link_libraries(yolodeck_core_runlog PUBLIC yolodeck_core_common)
