// pytt's VS Code extension: debug sessions of type "pytt" run `pytt dap` (the setting pytt.path
// names the executable), which speaks the Debug Adapter Protocol on stdin/stdout. Everything
// else (launch configurations, snippets) is declared in package.json.
'use strict';
const vscode = require('vscode');

class PyttAdapterFactory {
  createDebugAdapterDescriptor() {
    const pytt = vscode.workspace.getConfiguration('pytt').get('path') || 'pytt';
    return new vscode.DebugAdapterExecutable(pytt, ['dap']);
  }
}

class PyttConfigurationProvider {
  // F5 without a launch.json: record and debug the active Python file.
  resolveDebugConfiguration(folder, config) {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (editor && editor.document.languageId === 'python') {
        return { type: 'pytt', request: 'launch', name: 'pytt: record and debug the current file',
                 program: editor.document.fileName, python: 'python3' };
      }
    }
    if (!config.program && !config.trace) {
      return vscode.window.showErrorMessage('pytt: set "program" (a script to record) or "trace" (a recording) in the launch configuration')
        .then(() => undefined);
    }
    return config;
  }
}

function activate(context) {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('pytt', new PyttAdapterFactory()),
    vscode.debug.registerDebugConfigurationProvider('pytt', new PyttConfigurationProvider()));
}

function deactivate() {}

module.exports = { activate, deactivate };
