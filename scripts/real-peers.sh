#!/usr/bin/env bash
# Real peer servers for genpath's backend clients: ComfyUI 0.3.64 (CPU) and
# stable-diffusion.cpp's sd-server, both loaded with a random-weights SD1.5
# checkpoint. The sources come from shared/peers/ (see its README.md); all
# builds, the venv, the checkpoint, pid files and logs live in a cache folder
# outside the repository so later runs skip the slow steps.
#
#   scripts/real-peers.sh setup                 # idempotent; exit 3 = registry unreachable
#   scripts/real-peers.sh start comfyui|sdserver|all
#   scripts/real-peers.sh stop [comfyui|sdserver]
#   scripts/real-peers.sh status
#   scripts/real-peers.sh env                   # export lines for a test run
#
# Environment:
#   GENPATH_PEERS_CACHE    cache folder (default $HOME/.cache/genpath-peers)
#   GENPATH_PEERS_SRC      folder with comfyui/ and sdcpp/ (default: shared/peers
#                          beside the repository, else /work/shared/peers)
#   GENPATH_COMFYUI_PORT   default 8188
#   GENPATH_SDSERVER_PORT  default 17861
#   GENPATH_PEERS_TIMEOUT  seconds to wait for a server to answer (default 300)
#   GENPATH_PEERS_PYTHON   python used to make the venv (default python3)
set -euo pipefail

readonly EXIT_SKIPPED=3

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/.." && pwd)"
CACHE="${GENPATH_PEERS_CACHE:-${HOME}/.cache/genpath-peers}"
COMFYUI_PORT="${GENPATH_COMFYUI_PORT:-8188}"
SDSERVER_PORT="${GENPATH_SDSERVER_PORT:-17861}"
TIMEOUT="${GENPATH_PEERS_TIMEOUT:-300}"
PYTHON="${GENPATH_PEERS_PYTHON:-python3}"

COMFYUI_TARBALL_NAME="ComfyUI-0.3.64-a125cd8.tar.gz"
SDCPP_TARBALL_NAME="stable-diffusion.cpp-97d2990-src.tar.gz"
CHECKPOINT_NAME="random-sd15.safetensors"

COMFYUI_DIR="${CACHE}/ComfyUI"
SDCPP_DIR="${CACHE}/sd"
VENV="${CACHE}/venv"
VPY="${VENV}/bin/python"
CHECKPOINT="${COMFYUI_DIR}/models/checkpoints/${CHECKPOINT_NAME}"
SDSERVER_BIN="${SDCPP_DIR}/build/bin/sd-server"
SDSERVER_LORA_DIR="${CACHE}/sdserver-loras"
MARKERS="${CACHE}/markers"

log() { printf '[real-peers] %s\n' "$*" >&2; }
die() { printf '[real-peers] ERROR: %s\n' "$*" >&2; exit 1; }

skip() {
    {
        printf '\n'
        printf '************************************************************\n'
        printf '* REAL PEERS SKIPPED: %s\n' "$*"
        printf '************************************************************\n'
    } >&2
    exit "${EXIT_SKIPPED}"
}

usage() {
    # The header comment, up to the first line that is not a comment.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
    exit 2
}

find_src() {
    local candidate
    for candidate in "${GENPATH_PEERS_SRC:-}" "${REPO_DIR}/../shared/peers" "/work/shared/peers"; do
        if [[ -n "${candidate}" && -f "${candidate}/comfyui/${COMFYUI_TARBALL_NAME}" ]]; then
            (cd "${candidate}" && pwd)
            return 0
        fi
    done
    return 1
}

marker_done() { [[ -f "${MARKERS}/$1" ]]; }
mark() { mkdir -p "${MARKERS}"; date -u +%Y-%m-%dT%H:%M:%SZ >"${MARKERS}/$1"; }

# The registry is only asked when a step actually needs it, so a warm cache
# works offline.
REGISTRY_OK=""
need_registry() {
    [[ -n "${REGISTRY_OK}" ]] && return 0
    log "checking that the package registry answers"
    local tmp
    tmp="$(mktemp -d)"
    if ! timeout 120 "${PYTHON}" -m pip download --quiet --no-deps --disable-pip-version-check \
        -d "${tmp}" six >"${tmp}/out.log" 2>&1; then
        local why
        why="$(tail -n 3 "${tmp}/out.log" | tr '\n' ' ')"
        rm -rf "${tmp}"
        skip "the Python package registry cannot be reached (pip download failed: ${why})"
    fi
    rm -rf "${tmp}"
    REGISTRY_OK=1
}

# pip install into the venv; a network failure turns into the skip exit code.
venv_pip() {
    need_registry
    local logf="${CACHE}/pip-last.log" rc=0
    log "pip install $* (log: ${logf})"
    "${VPY}" -m pip install --disable-pip-version-check --progress-bar off "$@" >"${logf}" 2>&1 || rc=$?
    grep -E '^(Successfully installed|ERROR)' "${logf}" >&2 || true
    if [[ "${rc}" -ne 0 ]]; then
        if grep -qiE 'connection|timed out|Max retries|NewConnectionError|Temporary failure in name resolution' "${logf}"; then
            skip "pip install $* could not reach the registry (see ${logf})"
        fi
        die "pip install $* failed (see ${logf})"
    fi
}

step_unpack_comfyui() {
    if marker_done unpack-comfyui && [[ -f "${COMFYUI_DIR}/main.py" ]]; then
        log "ComfyUI already unpacked"
        return 0
    fi
    log "unpacking ComfyUI into ${COMFYUI_DIR}"
    rm -rf "${COMFYUI_DIR}"
    tar -xzf "${SRC}/comfyui/${COMFYUI_TARBALL_NAME}" -C "${CACHE}"
    [[ -f "${COMFYUI_DIR}/main.py" ]] || die "tarball did not contain ComfyUI/main.py"
    mark unpack-comfyui
}

step_venv() {
    if marker_done venv && [[ -x "${VPY}" ]]; then
        log "venv already made"
        return 0
    fi
    log "making venv ${VENV}"
    rm -rf "${VENV}"
    "${PYTHON}" -m venv "${VENV}"
    mark venv
}

# Cheap check (no import) that the venv has these top-level modules.
have_modules() {
    "${VPY}" - "$@" <<'PY' 2>/dev/null
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in sys.argv[1:]) else 1)
PY
}

step_torch() {
    if marker_done torch && have_modules torch torchvision torchaudio; then
        log "torch already installed"
        return 0
    fi
    log "installing torch torchvision torchaudio (~6.6 GB download, several minutes)"
    venv_pip torch torchvision torchaudio
    mark torch
}

step_requirements() {
    if marker_done requirements && have_modules requests aiohttp safetensors websocket; then
        log "ComfyUI requirements already installed"
        return 0
    fi
    log "installing ComfyUI requirements + requests + websocket-client"
    venv_pip -r "${COMFYUI_DIR}/requirements.txt" requests websocket-client
    mark requirements
}

step_checkpoint() {
    if marker_done checkpoint && [[ -s "${CHECKPOINT}" ]]; then
        log "checkpoint already written: ${CHECKPOINT}"
    else
        log "writing the random SD1.5 checkpoint (~2 GiB, ~1 minute, ~9 GB peak memory)"
        cp "${SRC}/comfyui/make_random_sd15.py" "${CACHE}/make_random_sd15.py"
        local tmp="${CHECKPOINT}.partial.safetensors"
        rm -f "${tmp}"
        (cd "${COMFYUI_DIR}" && "${VPY}" "${CACHE}/make_random_sd15.py" "${tmp}") >&2
        mv "${tmp}" "${CHECKPOINT}"
        mark checkpoint
    fi
    # sd-server gets the same file through a link in the cache's models/.
    mkdir -p "${CACHE}/models"
    ln -sfn "${CHECKPOINT}" "${CACHE}/models/${CHECKPOINT_NAME}"
}

step_unpack_sdcpp() {
    if marker_done unpack-sdcpp && [[ -f "${SDCPP_DIR}/CMakeLists.txt" ]]; then
        log "stable-diffusion.cpp already unpacked"
        return 0
    fi
    log "unpacking stable-diffusion.cpp into ${SDCPP_DIR}"
    rm -rf "${SDCPP_DIR}"
    tar -xzf "${SRC}/sdcpp/${SDCPP_TARBALL_NAME}" -C "${CACHE}"
    [[ -f "${SDCPP_DIR}/CMakeLists.txt" ]] || die "tarball did not contain sd/CMakeLists.txt"
    mark unpack-sdcpp
}

cmake_bin() {
    if command -v cmake >/dev/null 2>&1; then
        command -v cmake
    elif [[ -x "${VENV}/bin/cmake" ]]; then
        printf '%s\n' "${VENV}/bin/cmake"
    else
        return 1
    fi
}

step_build_sdserver() {
    if marker_done sdserver-build && [[ -x "${SDSERVER_BIN}" ]]; then
        log "sd-server already built"
        return 0
    fi
    local cmake
    if ! cmake="$(cmake_bin)"; then
        log "no cmake on the machine: installing it into the venv"
        venv_pip cmake
        cmake="${VENV}/bin/cmake"
    fi
    log "building sd-server with ${cmake} (-j2, ~6 minutes); log: ${CACHE}/sdserver-build.log"
    (
        cd "${SDCPP_DIR}"
        "${cmake}" -B build -DSD_BUILD_EXAMPLES=ON -DSD_SERVER_BUILD_FRONTEND=OFF -DCMAKE_BUILD_TYPE=Release
        "${cmake}" --build build --target sd-server -j2
    ) >"${CACHE}/sdserver-build.log" 2>&1 || die "sd-server build failed; see ${CACHE}/sdserver-build.log"
    [[ -x "${SDSERVER_BIN}" ]] || die "build finished but ${SDSERVER_BIN} is missing"
    mark sdserver-build
}

cmd_setup() {
    SRC="$(find_src)" || skip "peer sources not found (looked for shared/peers/comfyui/${COMFYUI_TARBALL_NAME}; set GENPATH_PEERS_SRC)"
    mkdir -p "${CACHE}"
    log "cache: ${CACHE}; sources: ${SRC}"
    step_unpack_comfyui
    step_venv
    step_torch
    step_requirements
    step_checkpoint
    step_unpack_sdcpp
    step_build_sdserver
    log "setup done"
}

# ---- running servers -------------------------------------------------------

pid_file() { printf '%s/%s.pid\n' "${CACHE}" "$1"; }
log_file() { printf '%s/%s.log\n' "${CACHE}" "$1"; }

port_of() {
    case "$1" in
        comfyui) printf '%s\n' "${COMFYUI_PORT}" ;;
        sdserver) printf '%s\n' "${SDSERVER_PORT}" ;;
        *) die "unknown server '$1' (comfyui|sdserver)" ;;
    esac
}

probe_url() {
    case "$1" in
        comfyui) printf 'http://127.0.0.1:%s/system_stats\n' "${COMFYUI_PORT}" ;;
        sdserver) printf 'http://127.0.0.1:%s/sdapi/v1/sd-models\n' "${SDSERVER_PORT}" ;;
    esac
}

answers() { curl -fsS --max-time 5 -o /dev/null "$(probe_url "$1")" 2>/dev/null; }

running_pid() {
    local f pid
    f="$(pid_file "$1")"
    [[ -f "${f}" ]] || return 1
    pid="$(cat "${f}")"
    [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
    kill -0 "${pid}" 2>/dev/null || return 1
    printf '%s\n' "${pid}"
}

start_one() {
    local name="$1" pid port logf
    port="$(port_of "${name}")"
    logf="$(log_file "${name}")"
    if pid="$(running_pid "${name}")"; then
        if answers "${name}"; then
            log "${name} already running (pid ${pid}, port ${port})"
            return 0
        fi
        die "${name} pid ${pid} is alive but does not answer on port ${port}; see ${logf}"
    fi
    if answers "${name}"; then
        die "something not started by this script already answers on port ${port}"
    fi
    mkdir -p "${CACHE}"
    case "${name}" in
        comfyui)
            [[ -x "${VPY}" && -f "${COMFYUI_DIR}/main.py" ]] || die "ComfyUI not set up: run '$0 setup'"
            (cd "${COMFYUI_DIR}" && exec nohup "${VPY}" main.py --cpu --listen 127.0.0.1 --port "${port}" \
                --disable-auto-launch) >"${logf}" 2>&1 </dev/null &
            ;;
        sdserver)
            [[ -x "${SDSERVER_BIN}" && -s "${CHECKPOINT}" ]] || die "sd-server not set up: run '$0 setup'"
            # sd-server's LoRA folder defaults to '.', scanned recursively on every
            # /sdapi/v1/loras, /sdcpp/v1/capabilities and img_gen request: give it
            # an empty folder of its own (tests may drop LoRAs there).
            mkdir -p "${SDSERVER_LORA_DIR}"
            (cd "${SDSERVER_LORA_DIR}" && exec nohup "${SDSERVER_BIN}" -l 127.0.0.1 --listen-port "${port}" -t 2 \
                -m "${CACHE}/models/${CHECKPOINT_NAME}" --lora-model-dir "${SDSERVER_LORA_DIR}") \
                >"${logf}" 2>&1 </dev/null &
            ;;
    esac
    pid=$!
    printf '%s\n' "${pid}" >"$(pid_file "${name}")"
    log "started ${name} (pid ${pid}, port ${port}); log ${logf}"
    local waited=0
    while ! answers "${name}"; do
        if ! kill -0 "${pid}" 2>/dev/null; then
            rm -f "$(pid_file "${name}")"
            tail -n 20 "${logf}" >&2 || true
            die "${name} exited before answering; see ${logf}"
        fi
        if ((waited >= TIMEOUT)); then
            tail -n 20 "${logf}" >&2 || true
            die "${name} did not answer within ${TIMEOUT}s (pid ${pid} left running; '$0 stop ${name}' ends it)"
        fi
        sleep 2
        waited=$((waited + 2))
    done
    log "${name} answers after ~${waited}s: http://127.0.0.1:${port}"
}

stop_one() {
    local name="$1" pid i
    if ! pid="$(running_pid "${name}")"; then
        log "${name} not running"
        rm -f "$(pid_file "${name}")"
        return 0
    fi
    log "stopping ${name} (pid ${pid})"
    kill -TERM "${pid}" 2>/dev/null || true
    for i in $(seq 1 30); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.5
        if [[ "${i}" -eq 30 ]]; then
            log "${name} ignored SIGTERM; sending SIGKILL"
            kill -KILL "${pid}" 2>/dev/null || true
        fi
    done
    rm -f "$(pid_file "${name}")"
}

# Sets SERVERS to the servers an argument names (a die here exits the script,
# which it would not inside a command substitution).
servers_of() {
    case "${1:-all}" in
        all) SERVERS=(comfyui sdserver) ;;
        comfyui | sdserver) SERVERS=("$1") ;;
        *) die "unknown server '$1' (comfyui|sdserver|all)" ;;
    esac
}

cmd_start() {
    [[ $# -ge 1 ]] || usage
    local name
    servers_of "$1"
    for name in "${SERVERS[@]}"; do start_one "${name}"; done
}

cmd_stop() {
    local name
    servers_of "${1:-all}"
    for name in "${SERVERS[@]}"; do stop_one "${name}"; done
}

cmd_status() {
    local name pid
    for name in comfyui sdserver; do
        if pid="$(running_pid "${name}")"; then
            if answers "${name}"; then
                printf '%s: running, pid %s, http://127.0.0.1:%s\n' "${name}" "${pid}" "$(port_of "${name}")"
            else
                printf '%s: pid %s alive but not answering\n' "${name}" "${pid}"
            fi
        else
            printf '%s: stopped\n' "${name}"
        fi
    done
}

cmd_env() {
    printf 'export GENPATH_REAL_COMFYUI=http://127.0.0.1:%s\n' "${COMFYUI_PORT}"
    printf 'export GENPATH_REAL_SDSERVER=http://127.0.0.1:%s\n' "${SDSERVER_PORT}"
    printf 'export GENPATH_REAL_CHECKPOINT=%s\n' "${CHECKPOINT_NAME}"
    printf 'export GENPATH_REAL_COMFYUI_MODELS=%s\n' "${COMFYUI_DIR}/models"
    printf 'export GENPATH_REAL_SDSERVER_LORA_DIR=%s\n' "${SDSERVER_LORA_DIR}"
    printf 'export GENPATH_PEERS_CACHE=%s\n' "${CACHE}"
}

main() {
    [[ $# -ge 1 ]] || usage
    local cmd="$1"
    shift
    case "${cmd}" in
        setup) cmd_setup ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status ;;
        env) cmd_env ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
