#!/usr/bin/env bash
# The GPU sweep (docs/experiments/deep_cnn_sweep.py, copied to .gpu/sweep.py with MNIST gzipped in .gpu/data): runs side by side, each with BUDGET seconds from its start.
set -u
cd "$(dirname "$0")/.."
B=${1:-470}
gunzip -f .gpu/data/MNIST/raw/*.gz 2>/dev/null
export DIGITS_DATA=$PWD/.gpu/data OMP_NUM_THREADS=2 PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
W=/tmp/sweep; rm -rf $W; mkdir -p $W/out
OUTDIR=${OUT:-$W/result}; mkdir -p $OUTDIR
nvidia-smi --query-gpu=name,memory.total --format=csv > $W/gpu.txt 2>&1
RUNS="full0:deep:0:32:16 full1:deep:1:32:16 mid0:deep:0:24:12 half0:deep:0:16:8"
[ -n "${SWEEP_RUNS:-}" ] && RUNS=$SWEEP_RUNS
N=$(echo $RUNS | wc -w)
for r in $RUNS; do
  IFS=: read name arch seed first step <<< "$r"
  timeout $((B + 45)) python3 .gpu/sweep.py $name $arch $seed $B $W/out $N $first $step > $W/$name.log 2>&1 &
done
wait
cp $W/out/*.pth $OUTDIR/ 2>/dev/null
cat $W/gpu.txt $W/*.log > $OUTDIR/logs.txt
grep -h SUMMARY $W/*.log > $OUTDIR/summary.txt
cat $OUTDIR/summary.txt; ls -la $OUTDIR
