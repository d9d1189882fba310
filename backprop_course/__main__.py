from .cli import main

if __name__ == "__main__":  # Dask worker processes re-import this module
    main()
