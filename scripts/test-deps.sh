#!/usr/bin/env bash
# Installs what the black-box tests in test/ and the PostgreSQL store tests
# need, when it is missing.
# Idempotent; runs as root with no stdin; exits non-zero on failure.
#
# Two families of real SQS clients are exercised:
#   - Debian's python3-boto3 (boto3 1.26, botocore 1.29) run with
#     /usr/bin/python3, and Debian's awscli (/usr/bin/aws, v2.9): both speak
#     the Query/XML protocol.
#   - the pyenv python3 with boto3 1.43 and awscli 1.45 (`aws` on PATH):
#     both speak AWS JSON 1.0. They ship with the machine image; installed
#     with pip only if missing.
# And the AWS SDK for JavaScript v3 (@aws-sdk/client-sqs over AWS JSON 1.0,
# @aws-sdk/client-sns over Query), pinned by test/js/package-lock.json and
# installed into test/js/node_modules with npm ci when node and npm exist.
set -euo pipefail

say() { printf 'test-deps: %s\n' "$*"; }

export DEBIAN_FRONTEND=noninteractive

# --- Debian packages (Query/XML clients) -----------------------------------
missing=()
if ! dpkg-query -W -f='${Status}' python3-boto3 2>/dev/null | grep -q 'install ok installed' \
  || ! /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; then
  missing+=(python3-boto3)
fi
if ! dpkg-query -W -f='${Status}' awscli 2>/dev/null | grep -q 'install ok installed' \
  || [ ! -x /usr/bin/aws ]; then
  missing+=(awscli)
fi
# PostgreSQL server binaries, for scripts/postgres.sh (the consumer's
# PostgreSQL store tests). Debian's postgresql package brings the newest
# server version into /usr/lib/postgresql/VERSION/bin.
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo -n"
    else
      say "need root to install ${missing[*]}" >&2
      exit 1
    fi
  else
    SUDO=""
  fi
  say "installing Debian packages: ${missing[*]}"
  say "apt-get update"
  $SUDO apt-get update -q </dev/null
  say "apt-get install -y --no-install-recommends ${missing[*]}"
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
  say "Debian python3-boto3, awscli and postgresql already installed"
fi
/usr/bin/python3 -c 'import boto3, botocore; print("test-deps: /usr/bin/python3 boto3", boto3.__version__, "botocore", botocore.__version__)'
/usr/bin/aws --version </dev/null | sed 's/^/test-deps: \/usr\/bin\/aws /'

# --- pyenv python (JSON 1.0 clients) ----------------------------------------
# The first python3 on PATH that is not /usr/bin/python3.
py=""
for p in $(type -ap python3 2>/dev/null || true); do
  case "$(readlink -f "$p")" in
    /usr/bin/*|/bin/*) ;;
    *) py="$p"; break ;;
  esac
done
if [ -z "$py" ]; then
  say "no pyenv python3 found on PATH (only the system one); the JSON-protocol python tests need it" >&2
  exit 1
fi
say "pyenv python3: $py ($("$py" --version 2>&1))"
need_pip=()
if ! "$py" -c 'import boto3, sys; sys.exit(0 if boto3.__version__.startswith("1.43.") else 1)' >/dev/null 2>&1; then
  need_pip+=('boto3==1.43.*')
fi
if ! "$py" -c 'import awscli, sys; sys.exit(0 if awscli.__version__.startswith("1.45.") else 1)' >/dev/null 2>&1; then
  need_pip+=('awscli==1.45.*')
fi
if [ ${#need_pip[@]} -gt 0 ]; then
  say "pip install ${need_pip[*]}"
  "$py" -m pip install --quiet --disable-pip-version-check "${need_pip[@]}" </dev/null
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
else
  say "pyenv boto3 1.43 and awscli 1.45 already installed"
fi
"$py" -c 'import boto3, botocore, awscli; print("test-deps: pyenv boto3", boto3.__version__, "botocore", botocore.__version__, "awscli", awscli.__version__)'
# --- AWS SDK for JavaScript v3 (test/js) -------------------------------------
# npm ci when node_modules is missing or does not match package-lock.json
# (npm's record of what it installed, node_modules/.package-lock.json, lists
# other packages or versions). Without node or npm the JavaScript tests skip.
js_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/js"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "node or npm not found: not installing test/js's packages (the JavaScript SDK tests will skip)"
elif [ -f "$js_dir/node_modules/.package-lock.json" ] \
  && node -e '
    const fs = require("fs");
    const pkgs = (f) => {
      const p = { ...JSON.parse(fs.readFileSync(f, "utf8")).packages };
      delete p[""];
      return JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k].version, p[k].integrity]));
    };
    process.exit(pkgs(process.argv[1]) === pkgs(process.argv[2]) ? 0 : 1);
  ' "$js_dir/package-lock.json" "$js_dir/node_modules/.package-lock.json" </dev/null >/dev/null 2>&1; then
  say "test/js/node_modules matches package-lock.json"
else
  say "npm ci --no-audit --no-fund in test/js (node $(node --version), npm $(npm --version 2>/dev/null))"
  (cd "$js_dir" && npm ci --no-audit --no-fund </dev/null)
fi
if command -v node >/dev/null 2>&1 && [ -f "$js_dir/node_modules/@aws-sdk/client-sqs/package.json" ]; then
  node -e 'for (const p of ["@aws-sdk/client-sqs", "@aws-sdk/client-sns"]) console.log("test-deps: " + p, require(process.argv[1] + "/node_modules/" + p + "/package.json").version)' "$js_dir" </dev/null
fi
say "done"
