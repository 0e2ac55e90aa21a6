# core/compare: two checkpoints on the same split (DESIGN.md §7). Prediction sets (one evaluation
# per checkpoint, cached on disk), the pure functions every number of the comparison comes from,
# and the report folder of `yolodeck-cli compare`.
yolodeck_core_folder(compare
    compare/predictionset.h compare/predictionset.cpp
    compare/comparison.h compare/comparison.cpp
    compare/checkpointcomparer.h compare/checkpointcomparer.cpp
    compare/comparisonreport.h compare/comparisonreport.cpp
)
target_link_libraries(yolodeck_core_compare PUBLIC yolodeck_core_train yolodeck_core_common)
