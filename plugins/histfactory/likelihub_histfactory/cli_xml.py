"""placeholder"""
import click

@click.command("xml2json")
def xml2json_command():
    """placeholder"""
