#include "ui/checkpoints/checkpointlistworker.h"

namespace yolodeck {

void CheckpointListWorker::list(const QString &dir, quint64 generation)
{
    Q_EMIT listed(dir, generation, listRunCheckpoints(dir));
}

} // namespace yolodeck
