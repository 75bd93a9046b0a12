"""The main window's parts (visualizer/main_window.py wires them): the actions' table, the docks' manager,
presenter mode, the status bar and banners, the toolbars' controls, the files and exports."""
