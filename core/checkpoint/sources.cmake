# Checkpoint files: the PyTorch zip archive that holds a run's full state (DESIGN.md §4), reading its
# metadata without tensors, and the background writer that saves it off the training thread.
yolodeck_core_folder(checkpoint
    checkpoint/checkpointmeta.h checkpoint/checkpointmeta.cpp
    checkpoint/checkpointfile.h checkpoint/checkpointfile.cpp
    checkpoint/checkpointwriter.h checkpoint/checkpointwriter.cpp
    checkpoint/retention.h checkpoint/retention.cpp
)
# Ultralytics .pt files are read through core/interop and appear as checkpoints of source
# "ultralytics" (DESIGN.md §8).
target_link_libraries(yolodeck_core_checkpoint PUBLIC yolodeck_core_interop yolodeck_core_common)
# zlib's crc32 checks tensor bytes on load (PyTorch's zip reader skips the zip CRCs).
find_package(ZLIB REQUIRED)
target_link_libraries(yolodeck_core_checkpoint PRIVATE ZLIB::ZLIB)
