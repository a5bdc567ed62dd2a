from sentinel_pack.cli import main

if __name__ == "__main__":  # a spawned --jobs worker imports this module: it must not run the command again
    main()
