# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_devloop_global_optspecs
    string join \n C/chdir= c/config= e/env= o/output= q/quiet v/verbose no-color profile= j/jobs= s/service= h/help V/version
end

function __fish_devloop_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_devloop_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_devloop_using_subcommand
    set -l cmd (__fish_devloop_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c devloop -n "__fish_devloop_needs_command" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_needs_command" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_needs_command" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_needs_command" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_needs_command" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_needs_command" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_needs_command" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_needs_command" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_needs_command" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_needs_command" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_needs_command" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_needs_command" -s V -l version -d 'Print version'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "init" -d 'Write a commented devloop.toml for the project in this directory'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "plan" -d 'Show what a command would do, with no side effects'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "build" -d 'Build the image (skipped when an identical build exists)'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "test" -d 'Run the [[test]] entries against the built image'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "release" -d 'Push the image to its registry and record the release'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "deploy" -d 'Roll a release out to the environment\'s target'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "monitor" -d 'Status, logs and resource use of what the target runs now'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "dev" -d 'Build, run and watch: every save rebuilt and redeployed on the local target'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "rollback" -d 'Put the previous release back on the target'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "provision" -d 'Create in the AWS account what the environment\'s target needs and does not exist yet'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "destroy" -d 'Delete what `devloop provision` created for the environment'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "ship" -d 'The whole loop: build → test → release → deploy'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "doctor" -d 'Check the config, git, the Docker daemon and credentials'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "notify" -d 'The [notify] channels: send each a sample message'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "ci" -d 'Write the pipeline that runs the loop on a CI service'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c devloop -n "__fish_devloop_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devloop -n "__fish_devloop_using_subcommand init" -l name -d 'App name [default: the compose file\'s name, else from the git remote or the directory name]' -r
complete -c devloop -n "__fish_devloop_using_subcommand init" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand init" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand init" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand init" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand init" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand init" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand init" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand init" -l force -d 'Overwrite an existing devloop.toml'
complete -c devloop -n "__fish_devloop_using_subcommand init" -l example -d 'Print the full reference config, every key commented, instead of writing a file'
complete -c devloop -n "__fish_devloop_using_subcommand init" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand init" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand init" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand init" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand plan" -l to -d 'With `rollback`: the release to go back to [default: the one before the running one]' -r
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand plan" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand plan" -l exit-code -d 'Exit 1 when deploying would change the target, 0 when not (for pull-request gates). Targets without live state to compare (docker, swarm) always count as changed'
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand plan" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand plan" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand build" -l buildkit -d 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit' -r -f -a "true\t''
false\t''"
complete -c devloop -n "__fish_devloop_using_subcommand build" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand build" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand build" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand build" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand build" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand build" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand build" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand build" -l no-cache -d 'Build even when an identical image exists, without the daemon\'s layer cache'
complete -c devloop -n "__fish_devloop_using_subcommand build" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand build" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand build" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand build" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand test" -l junit -d 'Write a JUnit XML report here' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand test" -l buildkit -d 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit' -r -f -a "true\t''
false\t''"
complete -c devloop -n "__fish_devloop_using_subcommand test" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand test" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand test" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand test" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand test" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand test" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand test" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand test" -l no-cache -d 'Build even when an identical image exists, without the daemon\'s layer cache'
complete -c devloop -n "__fish_devloop_using_subcommand test" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand test" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand test" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand test" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand release" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand release" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand release" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand release" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand release" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand release" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand release" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand release" -l allow-dirty -d 'Release even when tracked files have uncommitted changes'
complete -c devloop -n "__fish_devloop_using_subcommand release" -l list -d 'List recorded releases instead of releasing'
complete -c devloop -n "__fish_devloop_using_subcommand release" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand release" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand release" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand release" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l release -d 'Release to deploy (id or tag) [default: the latest]' -r
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l timeout -d 'How long to wait for the deploy to settle, e.g. 10m' -r
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l force-unlock -d 'Take the deploy lock even if another deploy holds it, when that deploy is gone'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l wait-lock -d 'Wait for the deploy lock when another deploy holds it (up to the deploy timeout)'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l no-lock -d 'Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l no-deps -d 'Deploy only the services named with -s, not the services they need'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand deploy" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l since -d 'With --logs: logs since this long ago (default 1h on AWS). Otherwise: the metrics window (default 1h)' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l tail -d 'Last N log lines' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l filter -d 'Only log lines containing this text (on AWS: a CloudWatch Logs filter pattern)' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l logs -d 'Show logs'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s f -l follow -d 'Keep following the logs'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s w -l watch -d 'Refresh the view until interrupted'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l check -d 'Exit 1 when the target is unhealthy, missing, or a deployment is failing or stuck (for cron and CI)'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand monitor" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l buildkit -d 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit' -r -f -a "true\t''
false\t''"
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l timeout -d 'How long a redeploy may take to become healthy, e.g. 30s' -r
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l no-cache -d 'Build even when an identical image exists, without the daemon\'s layer cache'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l test -d 'Run the host and image tests before each redeploy'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l keep -d 'Leave the last version running when dev stops'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand dev" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -l to -d 'Release to go back to [default: the one before the current]' -r
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -l force-unlock -d 'Take the deploy lock even if another deploy holds it, when that deploy is gone'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -l wait-lock -d 'Wait for the deploy lock when another deploy holds it (up to the deploy timeout)'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -l no-lock -d 'Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand provision" -l timeout -d 'How long the whole provision may take, its waits included [default: 15m]' -r
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand provision" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand provision" -l yes -d 'Go on without asking (off a terminal it is required)'
complete -c devloop -n "__fish_devloop_using_subcommand provision" -l template -d 'Print the resources as a CloudFormation template instead of creating them'
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand provision" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand provision" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -l timeout -d 'How long each deletion may wait for what depends on it to be gone [default: 10m]' -r
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -l yes -d 'Go on without asking (off a terminal it is required)'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -l images -d 'Also delete the ECR repositories devloop created, with every release in them'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -l ledger -d 'Also delete the S3 bucket of the release ledger devloop created, with every record in it'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand destroy" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l buildkit -d 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit' -r -f -a "true\t''
false\t''"
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l junit -d 'Write a JUnit XML report of the tests here' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l release -d 'Release to deploy (id or tag) [default: the latest]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l timeout -d 'How long to wait for the deploy to settle, e.g. 10m' -r
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l no-cache -d 'Build even when an identical image exists, without the daemon\'s layer cache'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l allow-dirty -d 'Release even when tracked files have uncommitted changes'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l no-tests -d 'Skip the tests: build, release and deploy'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l force-unlock -d 'Take the deploy lock even if another deploy holds it, when that deploy is gone'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l wait-lock -d 'Wait for the deploy lock when another deploy holds it (up to the deploy timeout)'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l no-lock -d 'Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l no-deps -d 'Deploy only the services named with -s, not the services they need'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand ship" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -f -a "test" -d 'Send a sample message to every channel of the environment and say how each went (exit 1 when one was not delivered)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and not __fish_seen_subcommand_from test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send a sample message to every channel of the environment and say how each went (exit 1 when one was not delivered)'
complete -c devloop -n "__fish_devloop_using_subcommand notify; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -f -a "init" -d 'Write the pipeline for this project: build and test on every push and pull request, plan on pull requests, release and deploy on the main branch, environment by environment'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and not __fish_seen_subcommand_from init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -l force -d 'Overwrite the file when it exists'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write the pipeline for this project: build and test on every push and pull request, plan on pull requests, release and deploy on the main branch, environment by environment'
complete -c devloop -n "__fish_devloop_using_subcommand ci; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s C -l chdir -d 'Run as if started in DIR' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s c -l config -d 'Use this config file instead of searching for devloop.toml' -r -F
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s e -l env -d 'Environment from [env.<NAME>] to use' -r
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s o -l output -d 'Output format: live text, or one JSON event per line' -r -f -a "text\t''
json\t''"
complete -c devloop -n "__fish_devloop_using_subcommand completions" -l profile -d 'AWS profile from the shared config files (overrides aws.profile)' -r
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s j -l jobs -d 'How many steps may run at once [default: number of CPUs]' -r
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s s -l service -d 'Only these services of a [services] file (comma-separated) [default: all]' -r
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s q -l quiet -d 'Print only errors and the final verdict'
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s v -l verbose -d 'Print more (repeat for even more)'
complete -c devloop -n "__fish_devloop_using_subcommand completions" -l no-color -d 'Disable colors (also NO_COLOR)'
complete -c devloop -n "__fish_devloop_using_subcommand completions" -s h -l help -d 'Print help'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "init" -d 'Write a commented devloop.toml for the project in this directory'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "plan" -d 'Show what a command would do, with no side effects'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "build" -d 'Build the image (skipped when an identical build exists)'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "test" -d 'Run the [[test]] entries against the built image'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "release" -d 'Push the image to its registry and record the release'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "deploy" -d 'Roll a release out to the environment\'s target'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "monitor" -d 'Status, logs and resource use of what the target runs now'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "dev" -d 'Build, run and watch: every save rebuilt and redeployed on the local target'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "rollback" -d 'Put the previous release back on the target'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "provision" -d 'Create in the AWS account what the environment\'s target needs and does not exist yet'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "destroy" -d 'Delete what `devloop provision` created for the environment'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "ship" -d 'The whole loop: build → test → release → deploy'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "doctor" -d 'Check the config, git, the Docker daemon and credentials'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "notify" -d 'The [notify] channels: send each a sample message'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "ci" -d 'Write the pipeline that runs the loop on a CI service'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "completions" -d 'Print shell completions'
complete -c devloop -n "__fish_devloop_using_subcommand help; and not __fish_seen_subcommand_from init plan build test release deploy monitor dev rollback provision destroy ship doctor notify ci completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c devloop -n "__fish_devloop_using_subcommand help; and __fish_seen_subcommand_from notify" -f -a "test" -d 'Send a sample message to every channel of the environment and say how each went (exit 1 when one was not delivered)'
complete -c devloop -n "__fish_devloop_using_subcommand help; and __fish_seen_subcommand_from ci" -f -a "init" -d 'Write the pipeline for this project: build and test on every push and pull request, plan on pull requests, release and deploy on the main branch, environment by environment'
