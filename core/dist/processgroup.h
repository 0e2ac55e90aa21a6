#pragma once

#include "core/common/result.h"
#include "core/dist/communicator.h"

#include <QProcessEnvironment>
#include <QStringList>

#include <memory>

namespace yolodeck::dist {

struct JobRequest
{
    int nproc = 0;            // nproc= : start this many local ranks (this process is rank 0)
    int timeoutSeconds = 300; // dist_timeout= : connecting, and every collective
    QStringList devices;      // device=0,1 : one CUDA device per local rank
};

// The job this process belongs to (DESIGN.md §9), connected over Gloo:
// - nproc > 1: start ranks 1..nproc-1 (LocalLauncher) and meet them through a file store in a
//   private temporary folder; every connection is on 127.0.0.1;
// - nproc = 1: a one-process job, whatever the environment says;
// - nproc = 0 (not given) and the environment describes a job (torchrun, Slurm, a hand-written
//   launcher, or a rank started by nproc=): join it, with the store mode the launcher chose;
// - else a one-process job.
// Failures (a port in use, an unreachable MASTER_ADDR, a rank that never came) are one line.
Result<std::unique_ptr<Communicator>> joinJob(const JobRequest &request,
                                              const QProcessEnvironment &env);

} // namespace yolodeck::dist
