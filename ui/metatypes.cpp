#include "ui/metatypes.h"

namespace yolodeck {

void registerMetaTypes()
{
    // Static initialisation is thread-safe, so concurrent first calls register once.
    static const bool registered = [] {
        qRegisterMetaType<TrainConfig>("yolodeck::TrainConfig");
        qRegisterMetaType<ResumeRequest>("yolodeck::ResumeRequest");
        qRegisterMetaType<RunReplay>("yolodeck::RunReplay");
        qRegisterMetaType<RunStarted>("yolodeck::RunStarted");
        qRegisterMetaType<BatchProgress>("yolodeck::BatchProgress");
        qRegisterMetaType<ValidationProgress>("yolodeck::ValidationProgress");
        qRegisterMetaType<EpochFinished>("yolodeck::EpochFinished");
        qRegisterMetaType<CheckpointSaved>("yolodeck::CheckpointSaved");
        qRegisterMetaType<RunFinished>("yolodeck::RunFinished");
        qRegisterMetaType<LogLevel>("yolodeck::LogLevel");
        qRegisterMetaType<History>("yolodeck::History");
        qRegisterMetaType<SystemSample>("yolodeck::SystemSample");
        qRegisterMetaType<std::vector<Finding>>("std::vector<yolodeck::Finding>");
        qRegisterMetaType<std::vector<CheckpointInfo>>("std::vector<yolodeck::CheckpointInfo>");
        qRegisterMetaType<CheckpointListing>("yolodeck::CheckpointListing");
        qRegisterMetaType<CompareRequest>("yolodeck::CompareRequest");
        qRegisterMetaType<CompareProgress>("yolodeck::CompareProgress");
        qRegisterMetaType<Comparison>("yolodeck::Comparison");
        return true;
    }();
    Q_UNUSED(registered);
}

} // namespace yolodeck
