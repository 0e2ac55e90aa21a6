// Fuzzes the data.yaml reader (DatasetConfig::load): any bytes give a config or a message naming
// the yaml file, never a crash, a hang or an exception leaking out of yaml-cpp.
//
// The yaml sits in a small dataset folder (images/train, images/val, labels/, train.txt) so that
// inputs naming those paths get past the split checks and reach the class names.

#include "core/data/datasetconfig.h"

#include "fuzzinput.h"

using namespace yolodeck;

namespace {

QString prepareDataset()
{
    const QString root = fuzz::scratchPath(QStringLiteral("dataset/data.yaml"));
    QDir dir = QFileInfo(root).absoluteDir();
    dir.mkpath(QStringLiteral("images/train"));
    dir.mkpath(QStringLiteral("images/val"));
    dir.mkpath(QStringLiteral("labels/train"));
    const QByteArray list("./images/train/a.jpg\n");
    fuzz::writeFile(dir.filePath(QStringLiteral("train.txt")), list.constData(),
                    size_t(list.size()));
    return root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString yamlPath = prepareDataset();
    fuzz::writeFile(yamlPath, data, size);

    const Result<DatasetConfig> config = DatasetConfig::load(yamlPath);
    if (!config) {
        fuzz::expectClearError(config.error(), yamlPath);
        return 0;
    }
    const DatasetConfig &c = config.value();
    fuzz::expect(!c.train.isEmpty() && !c.val.isEmpty(), "a loaded config has train and val");
    fuzz::expect(c.nc() > 0, "a loaded config has classes");
    fuzz::expect(QFileInfo(c.root).isDir(), "the dataset root is a folder", c.root);
    for (Split split : {Split::Train, Split::Val, Split::Test})
        for (const QString &entry : c.entries(split))
            fuzz::expect(QDir::isAbsolutePath(entry), "split entries are absolute", entry);
    return 0;
}
