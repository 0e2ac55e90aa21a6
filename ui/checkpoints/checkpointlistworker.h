#pragma once

#include "ui/checkpoints/checkpointlisting.h"

#include <QObject>

namespace yolodeck {

// Reads the checkpoints of a folder off the GUI thread: listCheckpoints() opens every file's zip
// directory, which on a network disk or with a hundred files is too slow for the window. The Keep
// marks and the files the run's keep= would remove are worked out here too, from the same look at
// the folder.
class CheckpointListWorker final : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

public Q_SLOTS:
    void list(const QString &dir, quint64 generation);

Q_SIGNALS:
    void listed(const QString &dir, quint64 generation, const yolodeck::CheckpointListing &listing);
};

} // namespace yolodeck
