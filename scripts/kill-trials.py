#!/usr/bin/python3
"""Kill trials: SIGKILL `yolodeck-cli train` (and the window) at random instants and check that
nothing is lost.

Each trial trains the tiny model on a small generated dataset with save_period=1, kills the
process with SIGKILL, then checks with the product's own code (yolodeck-cli):
  - every finished .pt under the run folder loads (`inspect`, which reads every tensor record);
  - nothing partial sits under a final name: weights/ holds only *.pt, *.pt.keep and the writer's
    hidden temporary files (".<name>.tmp-<pid>-<n>"), which are counted and reported, and which
    the resumed run must have removed;
  - last.pt resumes (`train resume=...`) and the run reaches its last epoch, with results.csv
    then holding each epoch exactly once;
  - results.csv and events.jsonl have no torn line, before and after the resume.
Half of the kills are aimed at a save: inotify on the run folder and weights/ sees the writer's
temporary file appear (the kill lands a random 0-150 ms later, i.e. inside the write, which takes
80-180 ms with its fsync) or a checkpoint's rename (the kill lands at once, before the folder's
fsync and the events line), or results.csv's temporary file (the end of an epoch). The other half
land at a uniformly random instant of the run.

Standard library only (inotify through ctypes). Exit code 0 when every trial passes, 1 otherwise;
a failed trial's folder is kept and named.
"""

import argparse
import csv
import ctypes
import json
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

IN_CREATE = 0x100
IN_MOVED_TO = 0x80
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

# The checkpoint writer's temporary name (core/checkpoint/checkpointfile.cpp).
CHECKPOINT_TEMP = re.compile(r"^\.(.+\.pt)\.tmp-\d+-\d+$")
# QSaveFile's temporary name for results.csv and args.yaml: "<name>.XXXXXX".
SAVEFILE_TEMP = re.compile(r"^(results\.csv|args\.yaml)\.[A-Za-z0-9]{6}$")
RUN_FILES = {"args.yaml", "results.csv", "events.jsonl", "weights"}

EPOCHS = 5
TRAIN_KEYS = [
    "model=tiny", "imgsz=64", "batch=8", "nbs=8", "warmup_epochs=0", "mosaic=0",
    "save_period=1", "workers=1", "threads=1", "tensorboard=false", "epochs=%d" % EPOCHS,
]
PROCESS_TIMEOUT_S = 300


def runtime_dir(home):
    """Qt wants XDG_RUNTIME_DIR private to the user (0700)."""
    path = os.path.join(home, "runtime")
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class Inotify:
    """The few inotify calls the trials need, through libc."""

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}

    def watch(self, path):
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), IN_CREATE | IN_MOVED_TO)
        if wd >= 0:
            self.dirs[wd] = path
        return wd >= 0

    def read(self, timeout):
        """Returns [(folder, name, mask)] seen within timeout seconds."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return []
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        events, offset = [], 0
        while offset + 16 <= len(data):
            wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16:offset + 16 + length].rstrip(b"\0").decode(errors="replace")
            offset += 16 + length
            events.append((self.dirs.get(wd, ""), name, mask))
        return events

    def close(self):
        os.close(self.fd)


def run(cmd, log, env=None, timeout=PROCESS_TIMEOUT_S):
    with open(log, "ab") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        try:
            return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return "timeout"


def inspect_meta(cli, path, log):
    """Loads a checkpoint with the product's loader; returns (meta dict or None, error)."""
    proc = subprocess.run([cli, "inspect", path], capture_output=True, text=True,
                          timeout=PROCESS_TIMEOUT_S)
    if proc.returncode != 0 or "archive ok:" not in proc.stdout:
        with open(log, "a") as out:
            out.write("inspect %s: rc %s\n%s%s" % (path, proc.returncode, proc.stdout[-2000:],
                                                   proc.stderr))
        return None, (proc.stderr.strip() or "rc %d" % proc.returncode).splitlines()[-1]
    text = proc.stdout.split("\nhistory:")[0]
    try:
        return json.loads(text), ""
    except ValueError as e:
        return None, "inspect printed no meta record (%s)" % e


def torn_lines(run_dir):
    """Problems in results.csv and events.jsonl: lines cut short, unparsable or misshapen."""
    problems = []
    results = os.path.join(run_dir, "results.csv")
    if os.path.exists(results):
        with open(results, "rb") as f:
            raw = f.read()
        if raw and not raw.endswith(b"\n"):
            problems.append("results.csv: last line has no newline")
        rows = list(csv.reader(raw.decode().splitlines()))
        if rows:
            width = len(rows[0])
            for n, row in enumerate(rows[1:], start=2):
                if len(row) != width:
                    problems.append("results.csv line %d: %d columns, header has %d"
                                    % (n, len(row), width))
                    continue
                try:
                    [float(v) for v in row]
                except ValueError:
                    problems.append("results.csv line %d: not numbers: %s" % (n, ",".join(row)))
    events = os.path.join(run_dir, "events.jsonl")
    if os.path.exists(events):
        with open(events, "rb") as f:
            raw = f.read()
        if raw and not raw.endswith(b"\n"):
            problems.append("events.jsonl: last line has no newline")
        for n, line in enumerate(raw.split(b"\n")[:-1] if raw else [], start=1):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "type" not in record:
                    raise ValueError("no type")
            except ValueError:
                problems.append("events.jsonl line %d: not a JSON record: %r" % (n, line[:80]))
    return problems


def result_epochs(run_dir):
    path = os.path.join(run_dir, "results.csv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [int(float(row["epoch"])) for row in csv.DictReader(f)]


class Trial:
    def __init__(self, number, folder, data_yaml, args, rng, window):
        self.number = number
        self.folder = folder
        self.data_yaml = data_yaml
        self.args = args
        self.rng = rng
        self.window = window
        self.project = os.path.join(folder, "runs")
        self.run_dir = os.path.join(self.project, "train")
        self.log = os.path.join(folder, "log.txt")
        self.failures = []
        self.notes = []
        self.aim = ""
        self.loaded = 0
        self.torn = 0
        self.resumed = False
        self.at_save = False
        self.ran_seconds = None  # a run that ended before its kill: from its folder to its end

    def command(self):
        keys = ["data=" + self.data_yaml, "project=" + self.project, "name=train"] + TRAIN_KEYS
        if self.window:
            return [self.args.app, "--train"] + keys
        return [self.args.cli, "train"] + keys

    def environment(self):
        env = dict(os.environ)
        if self.window:
            # The window keeps settings and its demo data under the home folder: a private one
            # per trial leaves the user's alone and starts every trial from the same state.
            home = os.path.join(self.folder, "home")
            os.makedirs(home, exist_ok=True)
            env.update(QT_QPA_PLATFORM="offscreen", HOME=home,
                       XDG_CONFIG_HOME=os.path.join(home, ".config"),
                       XDG_DATA_HOME=os.path.join(home, ".local/share"),
                       XDG_CACHE_HOME=os.path.join(home, ".cache"),
                       XDG_RUNTIME_DIR=runtime_dir(home))
        return env

    def kill_run(self, run_seconds):
        """Starts the run and SIGKILLs it at the chosen instant; returns False if it ended first."""
        aimed = self.rng.random() < 0.5
        if aimed:
            # Which save to hit: any of the run's (last, best, epochN per epoch and results.csv).
            target = self.rng.choice(["write", "rename", "results"])
            nth = self.rng.randint(1, EPOCHS * (1 if target == "results" else 3) - 1)
            delay = self.rng.uniform(0.0, 0.150) if target != "rename" else 0.0
        else:
            # Uniform over the training itself, from the moment the run folder exists (before
            # it, the process is loading libraries and has nothing to lose).
            instant = self.rng.uniform(0.0, run_seconds)
        notify = Inotify()
        with open(self.log, "ab") as out:
            out.write(("$ " + " ".join(self.command()) + "\n").encode())
            out.flush()
            proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                    env=self.environment())
        started = time.monotonic()
        watching = set()
        seen = 0
        kill_at = None
        created = None
        try:
            while proc.poll() is None:
                now = time.monotonic()
                if now - started > PROCESS_TIMEOUT_S:
                    self.failures.append("the run did not end within %d s" % PROCESS_TIMEOUT_S)
                    proc.kill()
                    proc.wait()
                    return False
                for folder in (self.run_dir, os.path.join(self.run_dir, "weights")):
                    if folder not in watching and os.path.isdir(folder) and notify.watch(folder):
                        watching.add(folder)
                        if created is None:
                            created = now
                        if not aimed and kill_at is None:
                            kill_at = now + instant
                if kill_at is not None and now >= kill_at:
                    break
                wait = 0.005 if len(watching) < 2 else 0.05
                if kill_at is not None:
                    wait = min(wait, kill_at - now)
                for folder, name, mask in notify.read(wait):
                    if not aimed or kill_at is not None:
                        continue
                    hit = ((target == "write" and mask & IN_CREATE and CHECKPOINT_TEMP.match(name))
                           or (target == "rename" and mask & IN_MOVED_TO
                               and name.endswith(".pt"))
                           or (target == "results" and mask & IN_CREATE
                               and name.startswith("results.csv.")))
                    if hit:
                        seen += 1
                        if seen == nth:
                            kill_at = time.monotonic() + delay
                            self.aim = "%s of %s +%.0f ms" % (
                                {"write": "write", "rename": "rename",
                                 "results": "epoch end"}[target],
                                CHECKPOINT_TEMP.sub(r"\1", name) if target == "write" else
                                ("results.csv" if target == "results" else name),
                                delay * 1000)
            if proc.poll() is not None:
                if proc.returncode != 0:
                    self.failures.append("the run failed (rc %s) before the kill, see %s"
                                         % (proc.returncode, self.log))
                    return False
                self.notes.append("the run ended before the kill")
                if created is not None:
                    self.ran_seconds = time.monotonic() - created
                return False
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            self.at_save = aimed
            if not aimed:
                self.aim = "at %.2f s" % instant
            return True
        finally:
            notify.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def check_folder(self):
        """Checks the run folder as the kill left it; returns the newest resumable checkpoint."""
        if not os.path.isdir(self.run_dir):
            self.notes.append("killed before the run folder existed")
            return None
        leftovers = []
        for name in sorted(os.listdir(self.run_dir)):
            if name in RUN_FILES:
                continue
            if SAVEFILE_TEMP.match(name):
                leftovers.append(name)
            else:
                self.failures.append("unexpected file in the run folder: %s" % name)
        weights = os.path.join(self.run_dir, "weights")
        metas = {}
        for name in sorted(os.listdir(weights)) if os.path.isdir(weights) else []:
            path = os.path.join(weights, name)
            if CHECKPOINT_TEMP.match(name):
                leftovers.append("weights/" + name)
            elif name.endswith(".pt.keep"):
                pass
            elif name.endswith(".pt"):
                meta, error = inspect_meta(self.args.cli, path, self.log)
                if meta is None:
                    self.failures.append("%s does not load: %s" % (name, error))
                else:
                    self.loaded += 1
                    metas[name] = meta
            else:
                self.failures.append("unexpected file in weights/: %s" % name)
        if leftovers:
            self.notes.append("left: " + " ".join(leftovers))
        torn = torn_lines(self.run_dir)
        self.torn += len(torn)
        self.failures += torn
        last = metas.get("last.pt")
        if last is None:
            if not self.failures:
                self.notes.append("no last.pt yet")
            return None
        # results.csv is rewritten at the end of an epoch, before that epoch's checkpoints are
        # on the disk: it may be one epoch ahead of last.pt, never more, never behind.
        rows = len(result_epochs(self.run_dir))
        if rows - int(last.get("epoch", 0)) not in (0, 1):
            self.failures.append("results.csv has %d epochs, last.pt is at epoch %d"
                                 % (rows, last.get("epoch", 0)))
        if last.get("kind") == "full":
            return os.path.join(weights, "last.pt"), int(last.get("epoch", 0))
        # A finished run strips last.pt to weights; its final epochN.pt stays full.
        final = "epoch%d.pt" % EPOCHS
        if final in metas and metas[final].get("kind") == "full":
            return os.path.join(weights, final), EPOCHS
        self.failures.append("last.pt is '%s' and no full %s exists" % (last.get("kind"), final))
        return None

    def check_resume(self, checkpoint, epoch):
        path, resumed_from = checkpoint, epoch
        # Resume to the end; a finished run is trained one epoch more.
        cmd = [self.args.cli, "train", "resume=" + path]
        target = EPOCHS
        if resumed_from >= EPOCHS:
            target = EPOCHS + 1
            cmd.append("epochs=%d" % target)
        rc = run(cmd, self.log)
        if rc != 0:
            self.failures.append("resume from %s (epoch %d) exited %s"
                                 % (os.path.basename(path), resumed_from, rc))
            return
        self.resumed = True
        epochs = result_epochs(self.run_dir)
        if epochs != list(range(1, target + 1)):
            self.failures.append("after the resume results.csv holds epochs %s, not 1..%d"
                                 % (epochs, target))
        torn = torn_lines(self.run_dir)
        self.torn += len(torn)
        self.failures += ["after the resume: " + problem for problem in torn]
        final = os.path.join(self.run_dir, "weights", "epoch%d.pt" % target)
        if not os.path.exists(final):
            self.failures.append("after the resume %s is missing" % os.path.basename(final))
        # The resumed run removes what the killed one left half-written (its pid is gone).
        weights = os.path.join(self.run_dir, "weights")
        stale = [n for n in os.listdir(weights) if CHECKPOINT_TEMP.match(n)]
        if stale:
            self.failures.append("after the resume partial files remain: %s" % " ".join(stale))

    def perform(self, run_seconds):
        os.makedirs(self.folder, exist_ok=True)
        started = time.monotonic()
        killed = self.kill_run(run_seconds)
        if killed or not self.failures:
            checkpoint = self.check_folder()
            if checkpoint and not self.failures:
                self.check_resume(*checkpoint)
        self.seconds = time.monotonic() - started
        return killed


def make_dataset(cli, folder, log):
    rc = run([cli, "synth", "out=" + folder, "train=32", "val=8", "imgsz=64", "classes=2",
              "seed=1"], log)
    if rc != 0:
        sys.exit("kill trials: could not generate the dataset (see %s)" % log)
    return os.path.join(folder, "data.yaml")


def time_one_run(cli, data_yaml, folder):
    """An uninterrupted run of the trials' settings: the time from its run folder's creation to
    its end bounds the uniform kills."""
    os.makedirs(folder, exist_ok=True)
    run_dir = os.path.join(folder, "runs", "train")
    with open(os.path.join(folder, "log.txt"), "wb") as out:
        proc = subprocess.Popen([cli, "train", "data=" + data_yaml,
                                 "project=" + os.path.join(folder, "runs"), "name=train"]
                                + TRAIN_KEYS, stdout=out, stderr=subprocess.STDOUT)
        created = None
        while proc.poll() is None:
            if created is None and os.path.isdir(run_dir):
                created = time.monotonic()
            time.sleep(0.005)
    if proc.returncode != 0 or created is None:
        sys.exit("kill trials: the reference run failed (see %s)" % folder)
    return time.monotonic() - created


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli", default="build/app/yolodeck-cli")
    parser.add_argument("--app", default="build/app/yolodeck",
                        help="the window; every 5th trial kills it (offscreen)")
    parser.add_argument("--window", action="store_true", help="kill the window in every trial")
    parser.add_argument("--no-window", action="store_true", help="kill only yolodeck-cli")
    parser.add_argument("--workdir", help="where trial folders go (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the folders of passed trials")
    args = parser.parse_args()
    args.cli = os.path.abspath(args.cli)
    args.app = os.path.abspath(args.app)
    window_share = not args.no_window and os.access(args.app, os.X_OK)
    if args.window and not window_share:
        sys.exit("kill trials: %s is not an executable window program" % args.app)

    workdir = args.workdir or tempfile.mkdtemp(prefix="yolodeck-kill-trials-")
    os.makedirs(workdir, exist_ok=True)
    rng = random.Random(args.seed)
    data_yaml = make_dataset(args.cli, os.path.join(workdir, "data"),
                             os.path.join(workdir, "synth.log"))
    reference = time_one_run(args.cli, data_yaml, os.path.join(workdir, "reference"))
    # The window starts slower (Qt, the system panel); its runs are timed on the first one.
    window_seconds = reference + 2.0
    print("kill trials: %s, reference run %.1f s of training, trials in %s" % (args.cli, reference, workdir),
          flush=True)

    totals = dict(kills=0, at_save=0, loaded=0, resumes=0, torn=0, failed=[], window=0,
                  seconds=0.0)
    # A uniform instant can fall after the end of a run that went faster than the reference one;
    # that run is still checked, and another trial makes up the count of kills.
    number = 0
    while totals["kills"] < args.trials and number < 2 * args.trials:
        number += 1
        window = window_share and (args.window or number % 5 == 0)
        folder = os.path.join(workdir, "trial-%03d%s" % (number, "-window" if window else ""))
        trial = Trial(number, folder, data_yaml, args, rng, window)
        killed = trial.perform(window_seconds if window else reference)
        if trial.ran_seconds is not None and not window:
            # Other work on the machine makes run lengths vary: aim within the fastest seen.
            reference = min(reference, 0.9 * trial.ran_seconds)
        totals["kills"] += killed
        totals["at_save"] += killed and trial.at_save
        totals["loaded"] += trial.loaded
        totals["resumes"] += trial.resumed
        totals["torn"] += trial.torn
        totals["window"] += killed and window
        totals["seconds"] += trial.seconds
        state = "FAIL" if trial.failures else "ok"
        what = "killed %s" % trial.aim if killed else "not killed"
        print("trial %3d %-6s %-4s %s; %d checkpoint(s) loaded%s%s (%.1f s)%s" % (
            number, "window" if window else "cli", state, what, trial.loaded,
            ", resumed" if trial.resumed else "",
            "".join("; " + n for n in trial.notes), trial.seconds,
            "".join("\n    " + f for f in trial.failures)), flush=True)
        if trial.failures:
            totals["failed"].append(folder)
        elif not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    failed = totals["failed"]
    print("kill trials: %d kills (%d during saves, %d of the window), %d checkpoints loaded, "
          "%d resumes, %d torn lines, %s (%.1f s per trial)" % (
              totals["kills"], totals["at_save"], totals["window"], totals["loaded"],
              totals["resumes"], totals["torn"],
              "nothing lost" if not failed else "%d trial(s) FAILED" % len(failed),
              totals["seconds"] / max(1, number)))
    if failed:
        print("kill trials: failed trial folders kept:\n  " + "\n  ".join(failed))
        return 1
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
