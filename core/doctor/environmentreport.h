#pragma once

#include <QString>
#include <QStringList>

#include <utility>
#include <vector>

namespace yolodeck {

// What `yolodeck-cli doctor` and the window's Help -> System Report say about this machine (the
// resume checklist: same versions, and why training could be slow): versions, compute, disk and
// data, each measured here, plus findings that slow training, each with its fix.
struct EnvironmentOptions
{
    QString project = QStringLiteral("runs/detect"); // where runs are saved (disk checks)
    QString data;                                    // data.yaml: decode speed of its images
    int threads = 0;                                 // as train's threads= (0 = every core)
    double gemmSeconds = 2.0;                        // length of the GEMM measurement
    int diskMegabytes = 64;                          // written (and fsynced) to time the disk
};

struct EnvironmentReport
{
    struct Section
    {
        QString title;
        std::vector<std::pair<QString, QString>> rows; // label, value
    };
    struct Finding
    {
        QString problem; // "reference BLAS: matrix products run about 30x slower"
        QString fix;     // "install libopenblas0-pthread"
    };
    std::vector<Section> sections;
    std::vector<Finding> findings;

    QString blasLibrary;  // "OpenBLAS (/usr/lib/.../openblas-pthread/libblas.so.3)", "reference"
    int blasThreads = -1; // OpenBLAS's thread count as it runs (-1: not OpenBLAS)
    double gemmGflops = 0;
    int exitCode() const { return findings.empty() ? 0 : 1; }
    QString toText() const;
};

EnvironmentReport buildEnvironmentReport(const EnvironmentOptions &options);

// The BLAS library LibTorch's process has actually loaded, resolved through Debian's
// alternatives symlinks: {kind ("OpenBLAS", "reference BLAS", "MKL", "BLIS", "unknown"), path}.
std::pair<QString, QString> loadedBlasLibrary();

} // namespace yolodeck
