
use builtin;
use str;

set edit:completion:arg-completer[devloop] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'devloop'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'devloop'= {
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Write a commented devloop.toml for the project in this directory'
            cand plan 'Show what a command would do, with no side effects'
            cand build 'Build the image (skipped when an identical build exists)'
            cand test 'Run the [[test]] entries against the built image'
            cand release 'Push the image to its registry and record the release'
            cand deploy 'Roll a release out to the environment''s target'
            cand monitor 'Status, logs and resource use of what the target runs now'
            cand dev 'Build, run and watch: every save rebuilt and redeployed on the local target'
            cand rollback 'Put the previous release back on the target'
            cand ship 'The whole loop: build → test → release → deploy'
            cand doctor 'Check the config, git, the Docker daemon and credentials'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'devloop;init'= {
            cand --name 'App name [default: from the git remote or the directory name]'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --force 'Overwrite an existing devloop.toml'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;plan'= {
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --exit-code 'Exit 1 when deploying would change the target, 0 when not (for pull-request gates). Targets without live state to compare (docker, swarm) always count as changed'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;build'= {
            cand --buildkit 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --no-cache 'Build even when an identical image exists, without the daemon''s layer cache'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;test'= {
            cand --junit 'Write a JUnit XML report here'
            cand --buildkit 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --no-cache 'Build even when an identical image exists, without the daemon''s layer cache'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;release'= {
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --allow-dirty 'Release even when tracked files have uncommitted changes'
            cand --list 'List recorded releases instead of releasing'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;deploy'= {
            cand --release 'Release to deploy (id or tag) [default: the latest]'
            cand --timeout 'How long to wait for the deploy to settle, e.g. 10m'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --force-unlock 'Take the deploy lock even if another deploy holds it (ECS), when that deploy is gone'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;monitor'= {
            cand --since 'With --logs: logs since this long ago (default 1h on AWS). Otherwise: the metrics window (default 1h)'
            cand --tail 'Last N log lines'
            cand --filter 'Only log lines containing this text (on AWS: a CloudWatch Logs filter pattern)'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --logs 'Show logs'
            cand -f 'Keep following the logs'
            cand --follow 'Keep following the logs'
            cand -w 'Refresh the view until interrupted'
            cand --watch 'Refresh the view until interrupted'
            cand --check 'Exit 1 when the target is unhealthy, missing, or a deployment is failing or stuck (for cron and CI)'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;dev'= {
            cand --buildkit 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit'
            cand --timeout 'How long a redeploy may take to become healthy, e.g. 30s'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --no-cache 'Build even when an identical image exists, without the daemon''s layer cache'
            cand --test 'Run the host and image tests before each redeploy'
            cand --keep 'Leave the last version running when dev stops'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;rollback'= {
            cand --to 'Release to go back to [default: the one before the current]'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --force-unlock 'Take the deploy lock even if another deploy holds it (ECS), when that deploy is gone'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;ship'= {
            cand --buildkit 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit'
            cand --junit 'Write a JUnit XML report of the tests here'
            cand --release 'Release to deploy (id or tag) [default: the latest]'
            cand --timeout 'How long to wait for the deploy to settle, e.g. 10m'
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand --no-cache 'Build even when an identical image exists, without the daemon''s layer cache'
            cand --allow-dirty 'Release even when tracked files have uncommitted changes'
            cand --force-unlock 'Take the deploy lock even if another deploy holds it (ECS), when that deploy is gone'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;doctor'= {
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;completions'= {
            cand -C 'Run as if started in DIR'
            cand --chdir 'Run as if started in DIR'
            cand -c 'Use this config file instead of searching for devloop.toml'
            cand --config 'Use this config file instead of searching for devloop.toml'
            cand -e 'Environment from [env.<NAME>] to use'
            cand --env 'Environment from [env.<NAME>] to use'
            cand -o 'Output format: live text, or one JSON event per line'
            cand --output 'Output format: live text, or one JSON event per line'
            cand --profile 'AWS profile from the shared config files (overrides aws.profile)'
            cand -j 'How many steps may run at once [default: number of CPUs]'
            cand --jobs 'How many steps may run at once [default: number of CPUs]'
            cand -q 'Print only errors and the final verdict'
            cand --quiet 'Print only errors and the final verdict'
            cand -v 'Print more (repeat for even more)'
            cand --verbose 'Print more (repeat for even more)'
            cand --no-color 'Disable colors (also NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'devloop;help'= {
            cand init 'Write a commented devloop.toml for the project in this directory'
            cand plan 'Show what a command would do, with no side effects'
            cand build 'Build the image (skipped when an identical build exists)'
            cand test 'Run the [[test]] entries against the built image'
            cand release 'Push the image to its registry and record the release'
            cand deploy 'Roll a release out to the environment''s target'
            cand monitor 'Status, logs and resource use of what the target runs now'
            cand dev 'Build, run and watch: every save rebuilt and redeployed on the local target'
            cand rollback 'Put the previous release back on the target'
            cand ship 'The whole loop: build → test → release → deploy'
            cand doctor 'Check the config, git, the Docker daemon and credentials'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'devloop;help;init'= {
        }
        &'devloop;help;plan'= {
        }
        &'devloop;help;build'= {
        }
        &'devloop;help;test'= {
        }
        &'devloop;help;release'= {
        }
        &'devloop;help;deploy'= {
        }
        &'devloop;help;monitor'= {
        }
        &'devloop;help;dev'= {
        }
        &'devloop;help;rollback'= {
        }
        &'devloop;help;ship'= {
        }
        &'devloop;help;doctor'= {
        }
        &'devloop;help;completions'= {
        }
        &'devloop;help;help'= {
        }
    ]
    $completions[$command]
}
