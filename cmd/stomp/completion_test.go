package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// completionScript loads the generated bash completion and completes a few
// command lines with it, the way bash does on TAB: __start_stomp runs
// `stomp __complete ...` and fills COMPREPLY. Without the bash-completion
// package (which the script expects, as every cobra script does) a stand-in
// for its _get_comp_words_by_ref sets the same variables for plain words.
const completionScript = `set -e
if [ -r /usr/share/bash-completion/bash_completion ]; then
	. /usr/share/bash-completion/bash_completion
else
	_get_comp_words_by_ref() {
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	}
fi
source <(stomp completion bash)
complete -p stomp
c() {
	COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE} COMPREPLY=()
	__start_stomp 2>/dev/null || true
	echo "$*=> ${COMPREPLY[*]}"
}
c stomp pro
c stomp s
c stomp proxy --ta
c stomp subscribe --ack c
c stomp broker --fault drop
`

func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--norc", "--noprofile", "-c", completionScript)
	// The script calls the program by the name it completes: stomp.
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.Output()
	require.NoError(t, err, "output: %s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 6, string(out))
	assert.Equal(t, "complete -o default -F __start_stomp stomp", lines[0], "the script registers itself")
	assert.Equal(t, "stomp pro=> proxy", lines[1])
	assert.Equal(t, "stomp s=> send subscribe", lines[2])
	assert.Equal(t, "stomp proxy --ta=> --target", lines[3])
	assert.Equal(t, "stomp subscribe --ack c=> client client-individual", lines[4])
	assert.Equal(t, "stomp broker --fault drop=> drop-conn", lines[5])
}
