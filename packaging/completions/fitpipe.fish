# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_fitpipe_global_optspecs
    string join \n db= config= remote= account= v/verbose h/help V/version
end

function __fish_fitpipe_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_fitpipe_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_fitpipe_using_subcommand
    set -l cmd (__fish_fitpipe_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c fitpipe -n "__fish_fitpipe_needs_command" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_needs_command" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_needs_command" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_needs_command" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -s V -l version -d 'Print version'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "import" -d 'Import a Google Takeout export (.zip or folder), heart-rate CSVs or saved API pages'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "imports" -d 'List the imports, or remove one or move it to another account'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "query" -d 'Run one read-only SQL statement over the database'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "export" -d 'Write the hourly-max master table as CSV'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "status" -d 'Show the database, its accounts and what they hold'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "sources" -d 'List the sources of an account\'s samples, or choose which its hourly max counts'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "auth" -d 'Log in to Google, show or end the login'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "sync" -d 'Pull new samples from the Google Health API, then push to the remote'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "restore" -d 'Fill the local store from the remote (a new laptop, a lost disk)'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "service" -d 'Run `fitpipe sync` on a timer (systemd user timer, launchd agent)'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "doctor" -d 'Check paths, database, keyring, tokens, remote, timer and whether data still arrives'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "man" -d 'Print the man page'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "config" -d 'Show or print the configuration'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "report" -d 'Draw the heart-rate report: one self-contained HTML file, or a terminal summary'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "demo" -d 'Try fitpipe on a made-up history: no account or cloud needed'
complete -c fitpipe -n "__fish_fitpipe_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -l timezone -d 'Your time zone (an IANA name such as America/New_York), for local times of samples whose files state no UTC offset; default: `timezone` in the config, else the one the export states, else this machine\'s' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -l json -d 'Print the summary as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand import" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -f -a "remove" -d 'Remove an import: the readings it brought leave its account, here, in the bucket and on every other machine at their next sync'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -f -a "move" -d 'Move an import to another account (an export imported into the wrong one)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and not __fish_seen_subcommand_from remove move help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -l to -d 'The account its readings belong to' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from move" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove an import: the readings it brought leave its account, here, in the bucket and on every other machine at their next sync'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from help" -f -a "move" -d 'Move an import to another account (an export imported into the wrong one)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand imports; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -l format -d 'Output format' -r -f -a "table\t''
csv\t''
json\t'One JSON array of objects'
ndjson\t'One JSON object per line'"
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand query" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -l out -d 'Where to write the CSV ("-" for stdout) [default: DATA_DIR/hourly_max.csv]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -l only-account -d 'Export only the account given by --account (default: every account)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand export" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand status" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -f -a "count" -d 'Count this source in the account\'s hourly max'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -f -a "ignore" -d 'Leave this source out of the account\'s hourly max'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -f -a "default" -d 'Count or leave out this source as fitpipe does by default'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and not __fish_seen_subcommand_from count ignore default help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from count" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from ignore" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from default" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from help" -f -a "count" -d 'Count this source in the account\'s hourly max'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from help" -f -a "ignore" -d 'Leave this source out of the account\'s hourly max'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from help" -f -a "default" -d 'Count or leave out this source as fitpipe does by default'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sources; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "login" -d 'Let fitpipe read your heart rate: opens Google\'s consent page'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "status" -d 'Show the logins, their scope and token expiry (never the tokens)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "logout" -d 'Revoke the account\'s grant at Google, then delete its tokens'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -l no-browser -d 'Print the URL only; do not open a browser'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -l manual -d 'For a machine without a browser (a server, over SSH): open the printed URL on any machine, then paste back the address the browser was sent to (or its code)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from logout" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from logout" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from logout" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from logout" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from logout" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from logout" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "login" -d 'Let fitpipe read your heart rate: opens Google\'s consent page'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show the logins, their scope and token expiry (never the tokens)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "logout" -d 'Revoke the account\'s grant at Google, then delete its tokens'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l since -d 'Pull from this UTC day (YYYY-MM-DD) or instant (RFC 3339) instead of from the cursor: a backfill' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l dry-run -d 'Print what would be written, skipped and merged; change nothing'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l wait -d 'Wait for a sync that is already running instead of exiting'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l json -d 'Print the report as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l verify -d 'List every part of the remote and check it against this machine\'s data, as a sync does once a day (between, it lists the recent days): after the bucket was changed by hand, or to compact old days now'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -l scheduled -d 'A run of the timer (set by the installed service): problems are notified and a health check pinged, as `[notify]` says'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand sync" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -l dry-run -d 'Print what would be merged; change nothing'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand restore" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -f -a "install" -d 'Install and start the timer that runs `fitpipe sync`'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -f -a "uninstall" -d 'Stop the timer and remove every file `install` wrote'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -f -a "status" -d 'Whether the timer is installed, its last run and result, its next run'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and not __fish_seen_subcommand_from install uninstall status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -l every -d 'How often: 15m, 30m, 1h, 6h, 1d...' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -l dry-run -d 'Print the files and commands instead of acting'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -l dry-run -d 'Print the files and commands instead of acting'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -l json -d 'Print as JSON'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install and start the timer that runs `fitpipe sync`'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Stop the timer and remove every file `install` wrote'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "status" -d 'Whether the timer is installed, its last run and result, its next run'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -l json -d 'Print as JSON (stable keys)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand completions" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand completions" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand completions" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand completions" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand completions" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand man" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand man" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand man" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand man" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand man" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand man" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -f -a "default" -d 'Print a commented example config.toml'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -f -a "path" -d 'Print where the config file is read from'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and not __fish_seen_subcommand_from default path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from default" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from default" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from default" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from default" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from default" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from default" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from path" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from path" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from path" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "default" -d 'Print a commented example config.toml'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print where the config file is read from'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l out -d 'Where to write the HTML file [default: DATA_DIR/report.html]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l since -d 'First UTC day to include (YYYY-MM-DD)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l until -d 'Last UTC day to include (YYYY-MM-DD)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l open -d 'Open the report in the default browser'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -l terminal -d 'Print the last 24 hours and the headline numbers instead of writing HTML'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand report" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l dir -d 'The folder for the demo\'s export, database and CSV [default: DATA_DIR/demo]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l days -d 'How many days of history' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l start -d 'First local day (YYYY-MM-DD) [default: so that the history ends yesterday]' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l cadence -d 'Seconds between samples: N, or MIN-MAX for a random gap' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l seed -d 'Seed of the made-up history' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l db -d 'The database file [default: $XDG_DATA_HOME/fitpipe/fitpipe.db]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/fitpipe/config.toml]' -r -F
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l remote -d 'The remote for sync: gs://BUCKET/PREFIX or file:///PATH (overrides remote.url)' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l account -d 'The account the command works on' -r
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l generate-only -d 'Only write the Takeout export (for benchmarks); import nothing'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -l zip -d 'Also pack the export as DIR/takeout.zip'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand demo" -s h -l help -d 'Print help'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "import" -d 'Import a Google Takeout export (.zip or folder), heart-rate CSVs or saved API pages'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "imports" -d 'List the imports, or remove one or move it to another account'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "query" -d 'Run one read-only SQL statement over the database'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "export" -d 'Write the hourly-max master table as CSV'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "status" -d 'Show the database, its accounts and what they hold'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "sources" -d 'List the sources of an account\'s samples, or choose which its hourly max counts'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "auth" -d 'Log in to Google, show or end the login'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "sync" -d 'Pull new samples from the Google Health API, then push to the remote'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "restore" -d 'Fill the local store from the remote (a new laptop, a lost disk)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "service" -d 'Run `fitpipe sync` on a timer (systemd user timer, launchd agent)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "doctor" -d 'Check paths, database, keyring, tokens, remote, timer and whether data still arrives'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "completions" -d 'Print shell completions'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "man" -d 'Print the man page'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "config" -d 'Show or print the configuration'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "report" -d 'Draw the heart-rate report: one self-contained HTML file, or a terminal summary'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "demo" -d 'Try fitpipe on a made-up history: no account or cloud needed'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and not __fish_seen_subcommand_from import imports query export status sources auth sync restore service doctor completions man config report demo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from imports" -f -a "remove" -d 'Remove an import: the readings it brought leave its account, here, in the bucket and on every other machine at their next sync'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from imports" -f -a "move" -d 'Move an import to another account (an export imported into the wrong one)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from sources" -f -a "count" -d 'Count this source in the account\'s hourly max'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from sources" -f -a "ignore" -d 'Leave this source out of the account\'s hourly max'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from sources" -f -a "default" -d 'Count or leave out this source as fitpipe does by default'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "login" -d 'Let fitpipe read your heart rate: opens Google\'s consent page'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "status" -d 'Show the logins, their scope and token expiry (never the tokens)'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "logout" -d 'Revoke the account\'s grant at Google, then delete its tokens'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "install" -d 'Install and start the timer that runs `fitpipe sync`'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "uninstall" -d 'Stop the timer and remove every file `install` wrote'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "status" -d 'Whether the timer is installed, its last run and result, its next run'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "default" -d 'Print a commented example config.toml'
complete -c fitpipe -n "__fish_fitpipe_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print where the config file is read from'
