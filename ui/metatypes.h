#pragma once

// The value types that cross from worker threads to the GUI thread through queued signals. A
// queued connection copies its arguments into a QVariant-like box, so each type must be known to
// the meta-type system by name; registerMetaTypes() does that once, before the first connection.

#include "core/checkpoint/checkpointmeta.h"
#include "core/compare/checkpointcomparer.h"
#include "core/monitor/diagnosis.h"
#include "core/monitor/systemsample.h"
#include "core/train/trainconfig.h"
#include "core/train/trainingobserver.h"
#include "ui/checkpoints/checkpointlisting.h"
#include "ui/resumerequest.h"
#include "ui/runreplay.h"

#include <QMetaType>

#include <vector>

Q_DECLARE_METATYPE(yolodeck::TrainConfig)
Q_DECLARE_METATYPE(yolodeck::ResumeRequest)
Q_DECLARE_METATYPE(yolodeck::RunReplay)
Q_DECLARE_METATYPE(yolodeck::RunStarted)
Q_DECLARE_METATYPE(yolodeck::BatchProgress)
Q_DECLARE_METATYPE(yolodeck::ValidationProgress)
Q_DECLARE_METATYPE(yolodeck::EpochFinished)
Q_DECLARE_METATYPE(yolodeck::CheckpointSaved)
Q_DECLARE_METATYPE(yolodeck::RunFinished)
Q_DECLARE_METATYPE(yolodeck::LogLevel)
Q_DECLARE_METATYPE(yolodeck::History)
Q_DECLARE_METATYPE(yolodeck::SystemSample)
Q_DECLARE_METATYPE(std::vector<yolodeck::Finding>)
Q_DECLARE_METATYPE(std::vector<yolodeck::CheckpointInfo>)
Q_DECLARE_METATYPE(yolodeck::CheckpointListing)
Q_DECLARE_METATYPE(yolodeck::CompareRequest)
Q_DECLARE_METATYPE(yolodeck::CompareProgress)
Q_DECLARE_METATYPE(yolodeck::Comparison)

namespace yolodeck {

// Registers every type above; safe to call more than once and from any thread.
void registerMetaTypes();

} // namespace yolodeck
