# Sourced by train_all.sh and build_targeted_mpnet.sh: the training venv (made on first use from
# requirements.txt; NEWSLENS_TRAIN_VENV overrides its place), offline Hugging Face, work/.
cd "$(dirname "${BASH_SOURCE[0]}")"
VENV=${NEWSLENS_TRAIN_VENV:-work/venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r requirements.txt
fi
export HF_HUB_OFFLINE=1
mkdir -p work
