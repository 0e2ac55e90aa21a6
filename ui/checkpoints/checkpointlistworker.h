#pragma once

#include "core/checkpoint/checkpointmeta.h"

#include <QObject>

#include <vector>

namespace yolodeck {

// Reads the checkpoints of a folder off the GUI thread: listCheckpoints() opens every file's zip
// directory, which on a network disk or with a hundred files is too slow for the window.
class CheckpointListWorker final : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

public Q_SLOTS:
    void list(const QString &dir, quint64 generation);

Q_SIGNALS:
    void listed(const QString &dir, quint64 generation,
                const std::vector<yolodeck::CheckpointInfo> &checkpoints);
};

} // namespace yolodeck
