#include "ui/checkpointlistworker.h"

namespace yolodeck {

void CheckpointListWorker::list(const QString &dir, quint64 generation)
{
    Q_EMIT listed(dir, generation,
                  dir.isEmpty() ? std::vector<CheckpointInfo>{} : listCheckpoints(dir));
}

} // namespace yolodeck
