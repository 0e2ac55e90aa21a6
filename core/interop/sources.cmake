# core/interop: what other tools write, read into YoloDeck's own value types (DESIGN.md §8).
# Ultralytics .pt files through a pickle reader that builds plain values and never executes
# anything, and Ultralytics run folders (results.csv, args.yaml, weights/).
yolodeck_core_folder(interop
    interop/picklereader.h interop/picklereader.cpp
    interop/ultralyticscheckpoint.h interop/ultralyticscheckpoint.cpp
    interop/ultralyticsrun.h interop/ultralyticsrun.cpp
    interop/statedictexport.h interop/statedictexport.cpp
)
target_link_libraries(yolodeck_core_interop PUBLIC yolodeck_core_model yolodeck_core_runlog yolodeck_core_common)
