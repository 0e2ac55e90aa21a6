yolodeck_core_folder(runlog
    runlog/epochrecord.h runlog/epochrecord.cpp
    runlog/runlog.h runlog/runlog.cpp
    runlog/tfeventswriter.h runlog/tfeventswriter.cpp
    runlog/writefaults.h runlog/writefaults.cpp
)
# TensorBoard's event files are protobuf messages: Debian's libprotobuf (a LibTorch dependency).
find_package(Protobuf REQUIRED)
target_link_libraries(yolodeck_core_runlog PUBLIC yolodeck_core_common protobuf::libprotobuf)
