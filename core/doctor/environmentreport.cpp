#include "core/doctor/environmentreport.h"

#include "core/common/memorypolicy.h"
#include "core/common/threadpolicy.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/imageio.h"
#include "core/model/onednnforward.h"
#include "core/monitor/nvmllibrary.h"
#include "version.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>
#include <QTemporaryFile>

#include <opencv2/core/version.hpp>

#include <torch/torch.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <thread>

#include <fcntl.h>
#include <link.h>
#include <unistd.h>

namespace yolodeck {

namespace {

int collectLibrary(dl_phdr_info *info, size_t, void *data)
{
    if (info->dlpi_name && info->dlpi_name[0])
        static_cast<QStringList *>(data)->append(QString::fromLocal8Bit(info->dlpi_name));
    return 0;
}

QString megabytes(double bytes)
{
    return bytes >= 1e9 ? QStringLiteral("%1 GB").arg(bytes / 1e9, 0, 'f', 1)
                        : QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 0);
}

// Writes and fsyncs `mb` megabytes into a temporary file of `folder`: MB/s, or -1.
double diskWriteSpeed(const QString &folder, int mb, QString *error)
{
    QTemporaryFile file(folder + QStringLiteral("/.yolodeck-doctor-XXXXXX"));
    if (!file.open()) {
        *error = file.errorString();
        return -1;
    }
    const QByteArray chunk(1 << 20, '\x5a');
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < mb; ++i) {
        if (file.write(chunk) != chunk.size()) {
            *error = file.errorString();
            return -1;
        }
    }
    file.flush();
    ::fsync(file.handle());
    const double seconds = timer.nsecsElapsed() / 1e9;
    return seconds > 0 ? mb / seconds : -1;
}

} // namespace

std::pair<QString, QString> loadedBlasLibrary()
{
    QStringList libraries;
    dl_iterate_phdr(collectLibrary, &libraries);
    for (const QString &lib : libraries) {
        const QString name = QFileInfo(lib).fileName();
        char resolved[PATH_MAX];
        const QString real = ::realpath(QFile::encodeName(lib).constData(), resolved)
                                 ? QString::fromLocal8Bit(resolved)
                                 : lib;
        const QString lower = real.toLower();
        if (lower.contains(QLatin1String("openblas")))
            return {QStringLiteral("OpenBLAS"), real};
        if (lower.contains(QLatin1String("libmkl")))
            return {QStringLiteral("MKL"), real};
        if (lower.contains(QLatin1String("blis")))
            return {QStringLiteral("BLIS"), real};
        if (name.startsWith(QLatin1String("libblas.so")) ||
            name.startsWith(QLatin1String("libcblas.so")))
            return {lower.contains(QLatin1String("atlas")) ? QStringLiteral("ATLAS")
                                                           : QStringLiteral("reference BLAS"),
                    real};
    }
    return {QStringLiteral("none loaded"), QString()};
}

QString EnvironmentReport::toText() const
{
    QString out;
    for (const Section &s : sections) {
        out += s.title + QLatin1Char('\n');
        int width = 0;
        for (const auto &row : s.rows)
            width = std::max(width, int(row.first.size()));
        for (const auto &row : s.rows)
            out += QStringLiteral("  %1  %2\n").arg(row.first, -width).arg(row.second);
    }
    if (findings.empty()) {
        out += QStringLiteral("No problem found.\n");
    } else {
        out += QStringLiteral("Findings (%1):\n").arg(findings.size());
        for (const Finding &f : findings)
            out += QStringLiteral("  - %1: %2\n").arg(f.problem, f.fix);
    }
    return out;
}

EnvironmentReport buildEnvironmentReport(const EnvironmentOptions &o)
{
    EnvironmentReport r;
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));

    EnvironmentReport::Section versions{QStringLiteral("Versions"), {}};
    versions.rows = {{QStringLiteral("YoloDeck"), QStringLiteral(YOLODECK_VERSION)},
                     {QStringLiteral("LibTorch"), QStringLiteral(TORCH_VERSION)},
                     {QStringLiteral("Qt"), QString::fromLatin1(qVersion())},
                     {QStringLiteral("OpenCV"), QStringLiteral(CV_VERSION)}};
    r.sections.push_back(versions);

    // Compute
    EnvironmentReport::Section compute{QStringLiteral("Compute"), {}};
    const bool cuda = torch::cuda::is_available();
    compute.rows.push_back({QStringLiteral("CUDA"),
                            cuda ? QStringLiteral("%1 device(s)").arg(torch::cuda::device_count())
                                 : QStringLiteral("not available to this LibTorch")});
    compute.rows.push_back({QStringLiteral("cuDNN"), torch::cuda::cudnn_is_available()
                                                         ? QStringLiteral("available")
                                                         : QStringLiteral("not available")});
    NvmlLibrary nvml;
    compute.rows.push_back({QStringLiteral("NVIDIA driver (NVML)"),
                            nvml.isAvailable() ? QStringLiteral("%1 GPU(s)").arg(nvml.deviceCount())
                                               : nvml.statusText()});
    if (nvml.isAvailable() && !cuda)
        r.findings.push_back(
            {QStringLiteral("an NVIDIA GPU is present but this LibTorch has no CUDA, "
                            "so training runs on the CPU"),
             QStringLiteral("build against an official CUDA LibTorch "
                            "(-DCMAKE_PREFIX_PATH=/path/to/libtorch)")});
    const auto [blasKind, blasPath] = loadedBlasLibrary();
    r.blasLibrary =
        blasPath.isEmpty() ? blasKind : QStringLiteral("%1 (%2)").arg(blasKind, blasPath);
    compute.rows.push_back({QStringLiteral("BLAS"), r.blasLibrary});
    r.blasThreads = openBlasThreads();
    if (r.blasThreads > 0)
        compute.rows.push_back(
            {QStringLiteral("OpenBLAS threads"), QString::number(r.blasThreads)});
    if (blasKind == QLatin1String("reference BLAS"))
        r.findings.push_back(
            {QStringLiteral("reference BLAS: matrix products run many times slower "
                            "than with an optimised library"),
             QStringLiteral("install libopenblas0-pthread")});
    const int threads = o.threads > 0 ? o.threads : cores;
    const int before = torch::get_num_threads();
    torch::set_num_threads(threads);
    compute.rows.push_back({QStringLiteral("Intra-op threads"),
                            QStringLiteral("%1 for training (threads=%2), %3 cores")
                                .arg(threads)
                                .arg(o.threads)
                                .arg(cores)});
    const QByteArray omp = qgetenv("OMP_NUM_THREADS");
    compute.rows.push_back(
        {QStringLiteral("OpenMP threads"),
         omp.isEmpty() ? QStringLiteral("not limited (OMP_NUM_THREADS unset)")
                       : QStringLiteral("OMP_NUM_THREADS=%1").arg(QString::fromLatin1(omp))});
    compute.rows.push_back({QStringLiteral("Thread policy"),
                            QString::fromStdString(describeThreadPolicy(
                                [](const char *name) { return std::getenv(name); }))});
    compute.rows.push_back({QStringLiteral("Memory policy"),
                            QString::fromStdString(describeMemoryPolicy(
                                [](const char *name) { return std::getenv(name); }))});
    if (threads * 2 <= cores)
        r.findings.push_back({QStringLiteral("%1 intra-op thread%2 on %3 cores")
                                  .arg(threads)
                                  .arg(threads == 1 ? QString() : QStringLiteral("s"))
                                  .arg(cores),
                              QStringLiteral("use threads=0 (every core)")});
    compute.rows.push_back({QStringLiteral("CPU engine"), OneDnnForward::describe()});
    // GEMM: 512 x 512 float matrices, as many products as fit in the time given.
    {
        torch::NoGradGuard noGrad;
        const torch::Tensor a = torch::rand({512, 512});
        const torch::Tensor b = torch::rand({512, 512});
        torch::Tensor c = torch::matmul(a, b); // warm-up
        QElapsedTimer timer;
        timer.start();
        int64_t n = 0;
        while (timer.nsecsElapsed() < int64_t(o.gemmSeconds * 1e9)) {
            c = torch::matmul(a, b);
            ++n;
        }
        const double seconds = timer.nsecsElapsed() / 1e9;
        r.gemmGflops = 2.0 * 512 * 512 * 512 * double(n) / seconds / 1e9;
        compute.rows.push_back(
            {QStringLiteral("GEMM (512x512, float)"),
             r.blasThreads > 0
                 // Matrix products run in OpenBLAS, on its own threads (the thread policy's).
                 ? QStringLiteral("%1 GFLOP/s on %2 OpenBLAS thread%3")
                       .arg(r.gemmGflops, 0, 'f', 1)
                       .arg(r.blasThreads)
                       .arg(r.blasThreads == 1 ? QString() : QStringLiteral("s"))
                 : QStringLiteral("%1 GFLOP/s on %2 threads")
                       .arg(r.gemmGflops, 0, 'f', 1)
                       .arg(threads)});
    }
    torch::set_num_threads(before);
    r.sections.push_back(compute);

    // Disk: where runs are saved (the nearest folder that exists).
    EnvironmentReport::Section disk{QStringLiteral("Disk"), {}};
    QString folder = QFileInfo(o.project).absoluteFilePath();
    while (!QFileInfo(folder).isDir() && folder != QLatin1String("/"))
        folder = QFileInfo(folder).absolutePath();
    const QStorageInfo storage(folder);
    disk.rows.push_back({QStringLiteral("Runs folder"), QFileInfo(o.project).absoluteFilePath()});
    disk.rows.push_back({QStringLiteral("File system"),
                         QStringLiteral("%1 (%2)").arg(
                             QString::fromLatin1(storage.fileSystemType()), storage.rootPath())});
    disk.rows.push_back({QStringLiteral("Free"), megabytes(double(storage.bytesAvailable()))});
    QString error;
    const double mbps = diskWriteSpeed(folder, o.diskMegabytes, &error);
    const double n38 = mbps > 0 ? 38.0 / mbps : 0; // a YOLOv8n full checkpoint is 38 MB
    disk.rows.push_back({QStringLiteral("Write speed"),
                         mbps > 0
                             ? QStringLiteral("%1 MB/s (fsynced): a YOLOv8n checkpoint (38 MB) "
                                              "saves in %2 s")
                                   .arg(mbps, 0, 'f', 0)
                                   .arg(n38, 0, 'f', 2)
                             : QStringLiteral("cannot write there: %1").arg(error)});
    r.sections.push_back(disk);
    const QString fs = QString::fromLatin1(storage.fileSystemType());
    static const QStringList network = {QStringLiteral("nfs"),        QStringLiteral("nfs4"),
                                        QStringLiteral("cifs"),       QStringLiteral("smb3"),
                                        QStringLiteral("fuse.sshfs"), QStringLiteral("9p")};
    if (mbps < 0)
        r.findings.push_back(
            {QStringLiteral("runs folder %1 is not writable (%2)").arg(folder, error),
             QStringLiteral("choose another project= folder")});
    else if (network.contains(fs))
        r.findings.push_back(
            {QStringLiteral("runs folder on a network disk (%1): checkpoint saves take %2 s")
                 .arg(fs)
                 .arg(n38, 0, 'f', 1),
             QStringLiteral("save runs on a local disk (project=) and copy them afterwards")});
    else if (mbps < 20)
        r.findings.push_back(
            {QStringLiteral("slow disk where runs are saved (%1 MB/s): checkpoint saves take %2 s")
                 .arg(mbps, 0, 'f', 0)
                 .arg(n38, 0, 'f', 1),
             QStringLiteral("save runs on a faster local disk (project=)")});
    if (storage.bytesAvailable() >= 0 && storage.bytesAvailable() < 2'000'000'000LL)
        r.findings.push_back(
            {QStringLiteral("only %1 free where runs are saved")
                 .arg(megabytes(double(storage.bytesAvailable()))),
             QStringLiteral("free space, or use keep= so old epochN.pt files are removed")});

    // Data: decode speed of the training images.
    if (!o.data.isEmpty()) {
        EnvironmentReport::Section data{QStringLiteral("Data"), {}};
        const Result<DatasetConfig> config = DatasetConfig::load(o.data);
        if (!config) {
            data.rows.push_back({QStringLiteral("data.yaml"), config.error()});
            r.findings.push_back({config.error(), QStringLiteral("fix data.yaml")});
        } else {
            const Result<Dataset> train = Dataset::scan(config.value(), Split::Train);
            if (!train) {
                data.rows.push_back({QStringLiteral("train"), train.error()});
                r.findings.push_back({train.error(), QStringLiteral("fix the dataset")});
            } else {
                QElapsedTimer timer;
                timer.start();
                int decoded = 0, failed = 0;
                int64_t pixels = 0;
                for (const ImageRecord &rec : train.value().records()) {
                    QString why;
                    const cv::Mat m = loadImage(rec.imagePath, &why);
                    m.empty() ? ++failed : ++decoded;
                    pixels += int64_t(m.cols) * m.rows;
                    if (timer.elapsed() > 2000 || decoded + failed >= 200)
                        break;
                }
                const double s = timer.nsecsElapsed() / 1e9;
                data.rows.push_back(
                    {QStringLiteral("Images"), QString::number(train.value().records().size())});
                data.rows.push_back(
                    {QStringLiteral("Decode speed"),
                     QStringLiteral("%1 images/s on one thread (%2 images, mean %3 MP)")
                         .arg(s > 0 ? decoded / s : 0, 0, 'f', 1)
                         .arg(decoded + failed)
                         .arg(decoded ? pixels / 1e6 / decoded : 0, 0, 'f', 2)});
                if (failed > 0)
                    r.findings.push_back(
                        {QStringLiteral("%1 of %2 images tried cannot be decoded")
                             .arg(failed)
                             .arg(decoded + failed),
                         QStringLiteral("train reports each file once; fix or remove them")});
            }
        }
        r.sections.push_back(data);
    }
    return r;
}

} // namespace yolodeck
