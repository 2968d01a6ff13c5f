
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'devloop' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'devloop'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'devloop' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented devloop.toml for the project in this directory')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Show what a command would do, with no side effects')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build the image (skipped when an identical build exists)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the [[test]] entries against the built image')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Push the image to its registry and record the release')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Roll a release out to the environment''s target')
            [CompletionResult]::new('monitor', 'monitor', [CompletionResultType]::ParameterValue, 'Status, logs and resource use of what the target runs now')
            [CompletionResult]::new('dev', 'dev', [CompletionResultType]::ParameterValue, 'Build, run and watch: every save rebuilt and redeployed on the local target')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Put the previous release back on the target')
            [CompletionResult]::new('provision', 'provision', [CompletionResultType]::ParameterValue, 'Create in the AWS account what the environment''s target needs and does not exist yet')
            [CompletionResult]::new('destroy', 'destroy', [CompletionResultType]::ParameterValue, 'Delete what `devloop provision` created for the environment')
            [CompletionResult]::new('ship', 'ship', [CompletionResultType]::ParameterValue, 'The whole loop: build → test → release → deploy')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the config, git, the Docker daemon and credentials')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'The [notify] channels: send each a sample message')
            [CompletionResult]::new('ci', 'ci', [CompletionResultType]::ParameterValue, 'Write the pipeline that runs the loop on a CI service')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devloop;init' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'App name [default: the compose file''s name, else from the git remote or the directory name]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing devloop.toml')
            [CompletionResult]::new('--example', '--example', [CompletionResultType]::ParameterName, 'Print the full reference config, every key commented, instead of writing a file')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;plan' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'With `rollback`: the release to go back to [default: the one before the running one]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--exit-code', '--exit-code', [CompletionResultType]::ParameterName, 'Exit 1 when deploying would change the target, 0 when not (for pull-request gates). Targets without live state to compare (docker, swarm) always count as changed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;build' {
            [CompletionResult]::new('--buildkit', '--buildkit', [CompletionResultType]::ParameterName, 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Build even when an identical image exists, without the daemon''s layer cache')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;test' {
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Write a JUnit XML report here')
            [CompletionResult]::new('--buildkit', '--buildkit', [CompletionResultType]::ParameterName, 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Build even when an identical image exists, without the daemon''s layer cache')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;release' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--allow-dirty', '--allow-dirty', [CompletionResultType]::ParameterName, 'Release even when tracked files have uncommitted changes')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List recorded releases instead of releasing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;deploy' {
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'Release to deploy (id or tag) [default: the latest]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the deploy to settle, e.g. 10m')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--force-unlock', '--force-unlock', [CompletionResultType]::ParameterName, 'Take the deploy lock even if another deploy holds it, when that deploy is gone')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for the deploy lock when another deploy holds it (up to the deploy timeout)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)')
            [CompletionResult]::new('--no-deps', '--no-deps', [CompletionResultType]::ParameterName, 'Deploy only the services named with -s, not the services they need')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;monitor' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --logs: logs since this long ago (default 1h on AWS). Otherwise: the metrics window (default 1h)')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Last N log lines')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only log lines containing this text (on AWS: a CloudWatch Logs filter pattern)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--logs', '--logs', [CompletionResultType]::ParameterName, 'Show logs')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep following the logs')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep following the logs')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Refresh the view until interrupted')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Refresh the view until interrupted')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Exit 1 when the target is unhealthy, missing, or a deployment is failing or stuck (for cron and CI)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;dev' {
            [CompletionResult]::new('--buildkit', '--buildkit', [CompletionResultType]::ParameterName, 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long a redeploy may take to become healthy, e.g. 30s')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Build even when an identical image exists, without the daemon''s layer cache')
            [CompletionResult]::new('--test', '--test', [CompletionResultType]::ParameterName, 'Run the host and image tests before each redeploy')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Leave the last version running when dev stops')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;rollback' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Release to go back to [default: the one before the current]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--force-unlock', '--force-unlock', [CompletionResultType]::ParameterName, 'Take the deploy lock even if another deploy holds it, when that deploy is gone')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for the deploy lock when another deploy holds it (up to the deploy timeout)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;provision' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole provision may take, its waits included [default: 15m]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Go on without asking (off a terminal it is required)')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Print the resources as a CloudFormation template instead of creating them')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;destroy' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long each deletion may wait for what depends on it to be gone [default: 10m]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Go on without asking (off a terminal it is required)')
            [CompletionResult]::new('--images', '--images', [CompletionResultType]::ParameterName, 'Also delete the ECR repositories devloop created, with every release in them')
            [CompletionResult]::new('--ledger', '--ledger', [CompletionResultType]::ParameterName, 'Also delete the S3 bucket of the release ledger devloop created, with every record in it')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;ship' {
            [CompletionResult]::new('--buildkit', '--buildkit', [CompletionResultType]::ParameterName, 'Builder: BuildKit is used by default wherever the daemon supports it; `--buildkit=false` chooses the classic builder, `--buildkit` insists on BuildKit')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Write a JUnit XML report of the tests here')
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'Release to deploy (id or tag) [default: the latest]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the deploy to settle, e.g. 10m')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Build even when an identical image exists, without the daemon''s layer cache')
            [CompletionResult]::new('--allow-dirty', '--allow-dirty', [CompletionResultType]::ParameterName, 'Release even when tracked files have uncommitted changes')
            [CompletionResult]::new('--no-tests', '--no-tests', [CompletionResultType]::ParameterName, 'Skip the tests: build, release and deploy')
            [CompletionResult]::new('--force-unlock', '--force-unlock', [CompletionResultType]::ParameterName, 'Take the deploy lock even if another deploy holds it, when that deploy is gone')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'Wait for the deploy lock when another deploy holds it (up to the deploy timeout)')
            [CompletionResult]::new('--no-lock', '--no-lock', [CompletionResultType]::ParameterName, 'Deploy without the deploy lock (ECS services with an old short ARN cannot carry it)')
            [CompletionResult]::new('--no-deps', '--no-deps', [CompletionResultType]::ParameterName, 'Deploy only the services named with -s, not the services they need')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;doctor' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;notify' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a sample message to every channel of the environment and say how each went (exit 1 when one was not delivered)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devloop;notify;test' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;notify;help' {
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a sample message to every channel of the environment and say how each went (exit 1 when one was not delivered)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devloop;notify;help;test' {
            break
        }
        'devloop;notify;help;help' {
            break
        }
        'devloop;ci' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write the pipeline for this project: build and test on every push and pull request, plan on pull requests, release and deploy on the main branch, environment by environment')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devloop;ci;init' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the file when it exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'devloop;ci;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write the pipeline for this project: build and test on every push and pull request, plan on pull requests, release and deploy on the main branch, environment by environment')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devloop;ci;help;init' {
            break
        }
        'devloop;ci;help;help' {
            break
        }
        'devloop;completions' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--chdir', '--chdir', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of searching for devloop.toml')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment from [env.<NAME>] to use')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: live text, or one JSON event per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile from the shared config files (overrides aws.profile)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many steps may run at once [default: number of CPUs]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Only these services of a [services] file (comma-separated) [default: all]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the final verdict')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for even more)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colors (also NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'devloop;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented devloop.toml for the project in this directory')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Show what a command would do, with no side effects')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build the image (skipped when an identical build exists)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the [[test]] entries against the built image')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Push the image to its registry and record the release')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Roll a release out to the environment''s target')
            [CompletionResult]::new('monitor', 'monitor', [CompletionResultType]::ParameterValue, 'Status, logs and resource use of what the target runs now')
            [CompletionResult]::new('dev', 'dev', [CompletionResultType]::ParameterValue, 'Build, run and watch: every save rebuilt and redeployed on the local target')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Put the previous release back on the target')
            [CompletionResult]::new('provision', 'provision', [CompletionResultType]::ParameterValue, 'Create in the AWS account what the environment''s target needs and does not exist yet')
            [CompletionResult]::new('destroy', 'destroy', [CompletionResultType]::ParameterValue, 'Delete what `devloop provision` created for the environment')
            [CompletionResult]::new('ship', 'ship', [CompletionResultType]::ParameterValue, 'The whole loop: build → test → release → deploy')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the config, git, the Docker daemon and credentials')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'The [notify] channels: send each a sample message')
            [CompletionResult]::new('ci', 'ci', [CompletionResultType]::ParameterValue, 'Write the pipeline that runs the loop on a CI service')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'devloop;help;init' {
            break
        }
        'devloop;help;plan' {
            break
        }
        'devloop;help;build' {
            break
        }
        'devloop;help;test' {
            break
        }
        'devloop;help;release' {
            break
        }
        'devloop;help;deploy' {
            break
        }
        'devloop;help;monitor' {
            break
        }
        'devloop;help;dev' {
            break
        }
        'devloop;help;rollback' {
            break
        }
        'devloop;help;provision' {
            break
        }
        'devloop;help;destroy' {
            break
        }
        'devloop;help;ship' {
            break
        }
        'devloop;help;doctor' {
            break
        }
        'devloop;help;notify' {
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a sample message to every channel of the environment and say how each went (exit 1 when one was not delivered)')
            break
        }
        'devloop;help;notify;test' {
            break
        }
        'devloop;help;ci' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write the pipeline for this project: build and test on every push and pull request, plan on pull requests, release and deploy on the main branch, environment by environment')
            break
        }
        'devloop;help;ci;init' {
            break
        }
        'devloop;help;completions' {
            break
        }
        'devloop;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
