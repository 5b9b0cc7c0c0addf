#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs exactly 3.10): PATH first, then pyenv.
set -u
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

for candidate in "${PYTHON310:-}" python3.10 python3 python; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if is_310 "$path"; then echo "$path"; exit 0; fi
done

if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for dir in $(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -V -r); do
    if is_310 "$dir/bin/python3.10"; then echo "$dir/bin/python3.10"; exit 0; fi
  done
fi

cat >&2 <<'MSG'
No Python 3.10 found. Rasa Open Source 3.6 runs only on Python 3.10.
Install one, then run the command again. For example:
  - with pyenv:     pyenv install 3.10.13
  - on Debian/Ubuntu: apt-get install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
  - or point PYTHON310=/path/to/python3.10 at an interpreter you already have.
MSG
exit 1
