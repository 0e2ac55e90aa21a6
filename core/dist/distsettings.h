#pragma once

#include "core/common/result.h"

#include <QProcessEnvironment>
#include <QString>

namespace yolodeck::dist {

// Where this process stands in a data-parallel job, read from the environment that launchers
// set: torchrun (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_RESTART_COUNT, TORCHELASTIC_USE_AGENT_STORE), Slurm (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, SLURM_NTASKS_PER_NODE, with MASTER_ADDR/MASTER_PORT exported by the script),
// a hand-written launcher (the same five variables) and YoloDeck's own nproc= launcher
// (YOLODECK_DIST_STORE: a file store instead of a TCP one).
struct DistSettings
{
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    int localWorldSize = 1;
    QString masterAddr;
    int masterPort = 0;
    QString fileStore;        // nproc= runs: the FileStore path; empty = TCPStore
    bool agentStore = false;  // torchrun's default rendezvous: its agent serves the store
    int restartCount = 0;     // TORCHELASTIC_RESTART_COUNT: the agent store's key prefix
    QString launcher;         // as Communicator::launcher()
    int timeoutSeconds = 300; // YOLODECK_DIST_TIMEOUT (nproc children), else dist_timeout=

    bool isDistributed() const { return worldSize > 1; }

    // A process that was started without a job (no WORLD_SIZE, or 1) gets worldSize 1. Malformed
    // or inconsistent values are an error naming the variable.
    static Result<DistSettings> fromEnvironment(const QProcessEnvironment &env);
};

} // namespace yolodeck::dist
