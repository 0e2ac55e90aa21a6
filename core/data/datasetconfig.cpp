#include "core/data/datasetconfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <yaml-cpp/yaml.h>

#include <map>

namespace yolodeck {

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromStdString(s);
}

// Turns a yaml-cpp error mark into "line L, column C" (1-based, as editors count).
QString where(const YAML::Mark &mark)
{
    if (mark.is_null())
        return {};
    return QStringLiteral(" (line %1, column %2)").arg(mark.line + 1).arg(mark.column + 1);
}

// Resolves one split entry against the dataset root. Ultralytics also retries a "../x" entry as
// "x" under the root when the first form does not exist; that keeps old YOLOv5 yamls working.
QString resolveEntry(const QDir &root, const QString &entry)
{
    QString path = QDir::cleanPath(root.absoluteFilePath(entry));
    if (!QFileInfo::exists(path) && entry.startsWith(QLatin1String("../"))) {
        const QString retry = QDir::cleanPath(root.absoluteFilePath(entry.mid(3)));
        if (QFileInfo::exists(retry))
            path = retry;
    }
    return path;
}

Result<QStringList> readSplit(const YAML::Node &doc, const char *key, bool required,
                              const QDir &root, const QString &yamlPath)
{
    const YAML::Node node = doc[key];
    if (!node || node.IsNull()) {
        if (required)
            return Result<QStringList>::fail(
                QStringLiteral("%1: missing required key '%2'").arg(yamlPath, QLatin1String(key)));
        return Result<QStringList>::ok({});
    }
    QStringList raw;
    if (node.IsScalar()) {
        raw << fromStd(node.Scalar());
    } else if (node.IsSequence()) {
        for (const YAML::Node &item : node) {
            if (!item.IsScalar())
                return Result<QStringList>::fail(
                    QStringLiteral("%1: '%2' must list paths%3")
                        .arg(yamlPath, QLatin1String(key), where(item.Mark())));
            raw << fromStd(item.Scalar());
        }
    } else {
        return Result<QStringList>::fail(
            QStringLiteral("%1: '%2' must be a path or a list of paths%3")
                .arg(yamlPath, QLatin1String(key), where(node.Mark())));
    }
    if (raw.isEmpty())
        return Result<QStringList>::fail(
            QStringLiteral("%1: '%2' is an empty list").arg(yamlPath, QLatin1String(key)));
    QStringList resolved;
    for (const QString &entry : raw) {
        const QString path = resolveEntry(root, entry.trimmed());
        if (!QFileInfo::exists(path))
            return Result<QStringList>::fail(
                QStringLiteral("%1: '%2' points to %3, which does not exist")
                    .arg(yamlPath, QLatin1String(key), path));
        resolved << path;
    }
    return Result<QStringList>::ok(resolved);
}

// Far above any detection dataset (LVIS has 1,203 classes). Without a bound, a typo such as
// `nc: 100000000` with no names would make the reader invent a hundred million class names.
constexpr int kMaxClasses = 100000;

Result<QStringList> readNames(const YAML::Node &doc, const QString &yamlPath)
{
    using R = Result<QStringList>;
    const YAML::Node names = doc["names"];
    const YAML::Node nc = doc["nc"];
    int declared = -1;
    if (nc && !nc.IsNull()) {
        try {
            declared = nc.as<int>();
        } catch (const YAML::Exception &) {
            return R::fail(
                QStringLiteral("%1: 'nc' must be an integer%2").arg(yamlPath, where(nc.Mark())));
        }
        if (declared <= 0)
            return R::fail(
                QStringLiteral("%1: 'nc' must be positive, got %2").arg(yamlPath).arg(declared));
        if (declared > kMaxClasses)
            return R::fail(QStringLiteral("%1: 'nc' is %2, more classes than YoloDeck trains (at "
                                          "most %3)")
                               .arg(yamlPath)
                               .arg(declared)
                               .arg(kMaxClasses));
    }

    QStringList out;
    if (!names || names.IsNull()) {
        if (declared < 0)
            return R::fail(QStringLiteral("%1: missing required key 'names'").arg(yamlPath));
        // Ultralytics invents class_0..class_{nc-1} when only nc is given.
        for (int i = 0; i < declared; ++i)
            out << QStringLiteral("class_%1").arg(i);
        return R::ok(out);
    }
    if (names.IsSequence()) {
        for (const YAML::Node &item : names) {
            if (!item.IsScalar())
                return R::fail(QStringLiteral("%1: every entry of 'names' must be a name%2")
                                   .arg(yamlPath, where(item.Mark())));
            out << fromStd(item.Scalar());
        }
    } else if (names.IsMap()) {
        std::map<int, QString> byId;
        for (auto it = names.begin(); it != names.end(); ++it) {
            int id = 0;
            try {
                id = it->first.as<int>();
            } catch (const YAML::Exception &) {
                return R::fail(
                    QStringLiteral("%1: 'names' key '%2' is not an integer class id%3")
                        .arg(yamlPath, fromStd(it->first.Scalar()), where(it->first.Mark())));
            }
            if (!it->second.IsScalar())
                return R::fail(QStringLiteral("%1: 'names' entry %2 must be a name%3")
                                   .arg(yamlPath)
                                   .arg(id)
                                   .arg(where(it->second.Mark())));
            if (!byId.emplace(id, fromStd(it->second.Scalar())).second)
                return R::fail(QStringLiteral("%1: class id %2 appears twice in 'names'")
                                   .arg(yamlPath)
                                   .arg(id));
        }
        int expected = 0;
        for (const auto &[id, name] : byId) {
            if (id != expected)
                return R::fail(QStringLiteral("%1: 'names' ids must be 0..%2 without gaps; "
                                              "id %3 is missing")
                                   .arg(yamlPath)
                                   .arg(int(byId.size()) - 1)
                                   .arg(expected));
            out << name;
            ++expected;
        }
    } else {
        return R::fail(QStringLiteral("%1: 'names' must be a list or a map of id: name%2")
                           .arg(yamlPath, where(names.Mark())));
    }
    if (out.isEmpty())
        return R::fail(QStringLiteral("%1: 'names' is empty").arg(yamlPath));
    if (declared >= 0 && declared != out.size())
        return R::fail(QStringLiteral("%1: 'nc' is %2 but 'names' has %3 entries")
                           .arg(yamlPath)
                           .arg(declared)
                           .arg(out.size()));
    return R::ok(out);
}

} // namespace

const QStringList &DatasetConfig::entries(Split split) const
{
    switch (split) {
    case Split::Train:
        return train;
    case Split::Val:
        return val;
    case Split::Test:
        break;
    }
    return test;
}

QString splitName(Split split)
{
    switch (split) {
    case Split::Train:
        return QStringLiteral("train");
    case Split::Val:
        return QStringLiteral("val");
    case Split::Test:
        break;
    }
    return QStringLiteral("test");
}

Result<DatasetConfig> DatasetConfig::load(const QString &yamlPathIn)
{
    using R = Result<DatasetConfig>;
    const QFileInfo yamlInfo(yamlPathIn);
    const QString yamlPath = yamlInfo.absoluteFilePath();
    if (!yamlInfo.exists())
        return R::fail(QStringLiteral("Dataset file %1 does not exist").arg(yamlPath));
    if (!yamlInfo.isFile())
        return R::fail(QStringLiteral("Dataset file %1 is not a file").arg(yamlPath));
    QFile file(yamlPath);
    if (!file.open(QIODevice::ReadOnly))
        return R::fail(
            QStringLiteral("Cannot read dataset file %1: %2").arg(yamlPath, file.errorString()));
    const QByteArray text = file.readAll();

    // yaml-cpp reports everything (syntax errors, wrong conversions) with exceptions; none of them
    // may leave this function.
    try {
        const YAML::Node doc = YAML::Load(text.toStdString());
        if (!doc.IsMap())
            return R::fail(QStringLiteral("%1 is not a data.yaml: expected keys such as 'train', "
                                          "'val' and 'names'")
                               .arg(yamlPath));

        DatasetConfig config;
        config.yamlPath = yamlPath;
        const QDir yamlDir = yamlInfo.absoluteDir();
        QString root = yamlDir.absolutePath();
        const YAML::Node pathNode = doc["path"];
        if (pathNode && !pathNode.IsNull()) {
            if (!pathNode.IsScalar())
                return R::fail(QStringLiteral("%1: 'path' must be a folder%2")
                                   .arg(yamlPath, where(pathNode.Mark())));
            const QString p = fromStd(pathNode.Scalar()).trimmed();
            if (!p.isEmpty())
                root = QDir::cleanPath(yamlDir.absoluteFilePath(p));
        }
        if (!QFileInfo(root).isDir())
            return R::fail(
                QStringLiteral("%1: dataset root 'path' %2 is not a folder").arg(yamlPath, root));
        config.root = root;

        const QDir rootDir(root);
        auto train = readSplit(doc, "train", true, rootDir, yamlPath);
        if (!train)
            return R::fail(train.error());
        auto val = readSplit(doc, "val", true, rootDir, yamlPath);
        if (!val)
            return R::fail(val.error());
        auto test = readSplit(doc, "test", false, rootDir, yamlPath);
        if (!test)
            return R::fail(test.error());
        auto names = readNames(doc, yamlPath);
        if (!names)
            return R::fail(names.error());
        config.train = train.take();
        config.val = val.take();
        config.test = test.take();
        config.names = names.take();
        return R::ok(config);
    } catch (const YAML::Exception &e) {
        return R::fail(QStringLiteral("%1 is not valid YAML%2: %3")
                           .arg(yamlPath, where(e.mark), fromStd(e.msg)));
    } catch (const std::exception &e) {
        return R::fail(QStringLiteral("Cannot read dataset file %1: %2")
                           .arg(yamlPath, QString::fromUtf8(e.what())));
    }
}

} // namespace yolodeck
