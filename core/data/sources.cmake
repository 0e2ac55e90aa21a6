# core/data: data.yaml, dataset scan and label checks, image decoding, augmentation, the batch loader,
# the synthetic demo dataset and the resized copy of a dataset.
yolodeck_core_folder(data
    data/labelbox.h
    data/datasetconfig.h data/datasetconfig.cpp
    data/imageio.h data/imageio.cpp
    data/dataset.h data/dataset.cpp
    data/augment.h data/augment.cpp
    data/batchloader.h data/batchloader.cpp
    data/synthdataset.h data/synthdataset.cpp
    data/datasetresize.h data/datasetresize.cpp
)
target_link_libraries(yolodeck_core_data PUBLIC yolodeck_core_common)
