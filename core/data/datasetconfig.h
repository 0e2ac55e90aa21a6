#pragma once

#include "core/common/result.h"

#include <QString>
#include <QStringList>

namespace yolodeck {

enum class Split
{
    Train,
    Val,
    Test
};

// A data.yaml read the way Ultralytics reads it:
// - `path`: dataset root, absolute or relative to the yaml file's folder; missing means that
// folder.
// - `train`, `val` (required) and `test` (optional): a folder of images, a .txt file listing image
//   paths, or a list of those, relative to the root. Entries are stored resolved to absolute paths.
// - `names`: a list, or a map {id: name} whose ids are exactly 0..n-1. `nc` is optional; when
//   present it must equal the number of names (when names are missing, `nc` generates class_0...).
struct DatasetConfig
{
    QString yamlPath; // absolute path of the data.yaml
    QString root;     // absolute dataset root (`path`)
    QStringList train, val, test;
    QStringList names;

    static Result<DatasetConfig> load(const QString &yamlPath);

    int nc() const { return names.size(); }
    const QStringList &entries(Split split) const;
};

QString splitName(Split split);

} // namespace yolodeck
