from sentinel_pack.cli import main

main()
