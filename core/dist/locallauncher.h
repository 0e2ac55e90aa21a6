#pragma once

#include "core/common/result.h"

#include <QString>
#include <QStringList>

#include <sys/types.h>

#include <vector>

namespace yolodeck::dist {

// The program a local multi-process run (nproc=N) starts for ranks 1..N-1: yolodeck-cli, which
// joins the job through the environment. Default: yolodeck-cli beside the running executable
// (the window and the CLI are installed together). Tests and benchmarks set it explicitly.
void setWorkerProgram(const QString &path);
QString workerProgram();

// Starts and watches the other ranks of a local job. Each child runs `program train` with the
// job in its environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1
// and YOLODECK_DIST_STORE, the file store they meet through) and dies with the thread that
// started it (PR_SET_PDEATHSIG), so a crashed or killed rank 0 never leaves orphans behind.
class LocalLauncher
{
public:
    struct Options
    {
        QString program;
        int worldSize = 2;
        QString storePath;        // the FileStore every rank opens
        int timeoutSeconds = 300; // YOLODECK_DIST_TIMEOUT of the children
        QStringList devices;      // one per rank (device=0,1 on CUDA), empty = the same for all
    };

    LocalLauncher() = default;
    ~LocalLauncher(); // ends (SIGTERM, then SIGKILL after 5 s) and reaps children still running
    LocalLauncher(const LocalLauncher &) = delete;
    LocalLauncher &operator=(const LocalLauncher &) = delete;

    // Starts ranks 1..worldSize-1; a failure names the program and the reason.
    Status start(const Options &options);
    // Reaps children that have exited, without blocking.
    void poll();
    // Waits up to `ms` for every child to exit; true when all have.
    bool waitAll(int ms);
    // Sends SIGTERM to the children still running.
    void terminate();

    struct Child
    {
        int rank = 0;
        pid_t pid = 0;
        bool exited = false;
        int exitCode = 0; // when it exited normally
        int signal = 0;   // when a signal ended it
    };
    const std::vector<Child> &children() const { return m_children; }
    // "rank 1 (pid 1234) was killed by SIGKILL", one clause per child that has ended abnormally;
    // empty when none has.
    QString describeEnded() const;

private:
    std::vector<Child> m_children;
};

} // namespace yolodeck::dist
