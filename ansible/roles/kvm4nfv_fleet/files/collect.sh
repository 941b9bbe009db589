#!/bin/sh
# kvm4nfv_fleet: copy the files kvm4nfv reads (the list `kvm4nfv inspect --list-files` prints: "KIND PATTERN"
# per line, KIND read|list|link|exists, PATTERN a shell glob, {release} the running kernel) into a tree that
# mirrors / and pack it: `kvm4nfv check --root` reads the unpacked tree like the node itself.
# /proc and /sys files report sizes that are not their contents, so each one is read with cat, never archived
# directly. Usage: collect.sh LIST STAGE_DIR ARCHIVE
set -u
list=$1 stage=$2 archive=$3
release=$(cat /proc/sys/kernel/osrelease 2>/dev/null || uname -r)
mkdir -p "$stage" || exit 1
while read -r kind pattern; do
  [ -n "$kind" ] || continue
  case $kind in \#*) continue ;; esac
  pattern=$(printf '%s' "$pattern" | sed "s/{release}/$release/g")
  for f in $pattern; do
    case $kind in
      read)
        [ -f "$f" ] || continue
        mkdir -p "$stage$(dirname "$f")"
        cat "$f" > "$stage$f" 2>/dev/null || rm -f "$stage$f"
        ;;
      list)
        [ -d "$f" ] || continue
        mkdir -p "$stage$f"
        for e in "$f"/*; do
          if [ -d "$e" ] && [ ! -e "$stage$e" ]; then
            mkdir -p "$stage$e" && : > "$stage$e/.kvm4nfv-keep"
          fi
        done
        ;;
      link)
        [ -L "$f" ] || continue
        mkdir -p "$stage$(dirname "$f")"
        ln -sfn "$(readlink "$f")" "$stage$f"
        ;;
      exists)
        if [ -d "$f" ]; then mkdir -p "$stage$f"
        elif [ -e "$f" ]; then mkdir -p "$stage$(dirname "$f")" && : > "$stage$f"
        fi
        ;;
      *) echo "collect.sh: unknown kind $kind" >&2; exit 2 ;;
    esac
  done
done < "$list"
tar -C "$stage" -czf "$archive" .
