import type { Report } from '../report';
import { renderCsv } from './csv';
import type { ReportFormat } from './formats';
import { renderHtml } from './html';
import { renderTable } from './table';

export function renderReport(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return renderTable(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'csv':
      return renderCsv(report);
    case 'html':
      return renderHtml(report);
  }
}
